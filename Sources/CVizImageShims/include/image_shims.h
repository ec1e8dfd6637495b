#ifndef VIZ_IMAGE_SHIMS_H
#define VIZ_IMAGE_SHIMS_H

#include <stddef.h>
#include <stdint.h>

/// Encodes `width × height` 8-bit RGB pixels (row 0 = top) as a baseline JPEG with libjpeg.
/// On success returns 0 and sets `*output` (free with `viz_jpeg_free`) and `*size`; on failure returns -1 and writes
/// libjpeg's message into `error` (at most `error_size` bytes, NUL-terminated). libjpeg reports errors by
/// longjmp, which Swift cannot catch: this shim owns the setjmp.
int viz_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int quality, uint8_t **output, size_t *size, char *error,
                        size_t error_size);

/// Frees a buffer returned by `viz_jpeg_encode_rgb`.
void viz_jpeg_free(uint8_t *buffer);

#endif
