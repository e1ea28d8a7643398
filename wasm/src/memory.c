/*
 * cv_malloc / cv_free: the allocator every buffer handed across the ABI comes from.
 *
 * Each block is 16-byte aligned (emscripten's dlmalloc only guarantees 8, and Float64Array views
 * and v128 loads like 16) and carries a small header just before the returned address: the raw
 * pointer from malloc and the requested size, so that cv_allocated_bytes() can report the bytes
 * currently live (the backend's no-leak test). Kernel scratch space is not allocated here.
 */
#include <stdlib.h>

#include "cv_internal.h"

typedef struct {
  void *raw;
  size_t bytes;
} cv_header;

static size_t live_bytes = 0;

void *cv_malloc(size_t bytes) {
  /* raw is 8-aligned; 16 bytes of header room + up to 8 of alignment slack (32 to be safe). */
  if (bytes > (size_t)-1 - 64) return NULL;
  unsigned char *raw = (unsigned char *)malloc(bytes + 32);
  if (raw == NULL) return NULL;
  uintptr_t user = ((uintptr_t)raw + sizeof(cv_header) + 15) & ~(uintptr_t)15;
  cv_header *h = (cv_header *)(user - sizeof(cv_header));
  h->raw = raw;
  h->bytes = bytes;
  live_bytes += bytes;
  return (void *)user;
}

void cv_free(void *p) {
  if (p == NULL) return;
  cv_header *h = (cv_header *)((uintptr_t)p - sizeof(cv_header));
  live_bytes -= h->bytes;
  free(h->raw);
}

size_t cv_allocated_bytes(void) { return live_bytes; }
