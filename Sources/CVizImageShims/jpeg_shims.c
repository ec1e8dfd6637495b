#include "image_shims.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

struct viz_jpeg_error {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
};

static void viz_jpeg_error_exit(j_common_ptr info) {
    struct viz_jpeg_error *error = (struct viz_jpeg_error *)info->err;
    longjmp(error->jump, 1);
}

int viz_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int quality, uint8_t **output, size_t *size, char *error,
                        size_t error_size) {
    struct jpeg_compress_struct info;
    struct viz_jpeg_error handler;
    unsigned char *buffer = NULL;
    unsigned long length = 0;
    *output = NULL;
    *size = 0;
    info.err = jpeg_std_error(&handler.manager);
    handler.manager.error_exit = viz_jpeg_error_exit;
    if (setjmp(handler.jump)) {
        char message[JMSG_LENGTH_MAX];
        (*info.err->format_message)((j_common_ptr)&info, message);
        if (error && error_size) {
            strncpy(error, message, error_size - 1);
            error[error_size - 1] = 0;
        }
        jpeg_destroy_compress(&info);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, &buffer, &length);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = 3;
    info.in_color_space = JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)info.next_scanline * (size_t)width * 3);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *output = buffer;
    *size = length;
    return 0;
}

void viz_jpeg_free(uint8_t *buffer) { free(buffer); }
