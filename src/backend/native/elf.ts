/**
 * A structural check of an ELF shared object before it is handed to dlopen. The dynamic loader maps
 * a file's segments as its headers describe them; a truncated or partly overwritten file whose
 * segments end past the end of the file is mapped anyway, and the first touch of the missing pages
 * raises SIGBUS — a crash no JavaScript handler can catch. Checking the headers against the file
 * size first turns that into a reason string. Also refuses a binary for another machine or class.
 */

/** ELF e_machine of each Node.js arch this addon ships or builds for. */
const MACHINES: Record<string, number> = { x64: 62, arm64: 183, ia32: 3, arm: 40, ppc64: 21, s390x: 22, riscv64: 243 };

/** Why `bytes` cannot be a loadable ELF shared object for `arch`, or null when its headers are sound. */
export function elfProblem(bytes: Uint8Array, arch: string): string | null {
  if (bytes.length < 64) return `${bytes.length} bytes: too short for an ELF header`;
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return 'not an ELF file (bad magic)';
  if (bytes[4] !== 2 || bytes[5] !== 1) return 'not a 64-bit little-endian ELF file';
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = BigInt(bytes.length);
  const machine = v.getUint16(18, true);
  const want = MACHINES[arch];
  if (want !== undefined && machine !== want) return `built for ELF machine ${machine}, this process is ${arch} (machine ${want})`;
  const phoff = v.getBigUint64(32, true), shoff = v.getBigUint64(40, true);
  const phentsize = v.getUint16(54, true), phnum = v.getUint16(56, true);
  const shentsize = v.getUint16(58, true), shnum = v.getUint16(60, true);
  if (phoff + BigInt(phentsize * phnum) > size) return `program headers end past the end of the file (${bytes.length} bytes): truncated?`;
  if (shnum > 0 && shoff + BigInt(shentsize * shnum) > size) return `section headers end past the end of the file (${bytes.length} bytes): truncated?`;
  for (let i = 0; i < phnum; i++) {
    const at = Number(phoff) + i * phentsize;
    const type = v.getUint32(at, true);
    if (type !== 1 && type !== 2) continue; // PT_LOAD, PT_DYNAMIC
    const offset = v.getBigUint64(at + 8, true), filesz = v.getBigUint64(at + 32, true);
    if (offset + filesz > size) return `segment ${i} ends at byte ${offset + filesz}, past the end of the file (${bytes.length} bytes): truncated?`;
  }
  return null;
}
