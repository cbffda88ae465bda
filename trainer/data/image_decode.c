/* PNG and JPEG files (image.h): decoding with libpng's simplified API and libjpeg-turbo, writing PNG. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs size_t and FILE declared first */
#include <jpeglib.h>
#include <png.h>

#include "image.h"

#define IMAGE_MAX_PIXELS (1u << 28) /* 268 M pixels: larger headers mean a corrupt or hostile file */

void image_free(Image *img) {
    if (!img) return;
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

/* Interleaved rows (as the libraries give them) to the planar layout. */
static void to_planar(uint8_t *planar, const uint8_t *interleaved, int w, int h, int C) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < C; c++)
                planar[((size_t)c * h + y) * w + x] = interleaved[((size_t)y * w + x) * C + c];
}

static int read_png(Image *img, const char *path, int channels, char *err) {
    png_image png;
    memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&png, path))
        return err_set(err, "%s: corrupt PNG: %s", path, png.message);
    if ((size_t)png.width * png.height > IMAGE_MAX_PIXELS || png.width == 0 || png.height == 0) {
        png_image_free(&png);
        return err_set(err, "%s: implausible PNG size %ux%u", path, png.width, png.height);
    }
    png.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    /* transparency is composited onto black, as converting to RGB drops alpha over black elsewhere */
    const size_t bytes = PNG_IMAGE_SIZE(png);
    uint8_t *buf = malloc(bytes), *planar = malloc(bytes);
    if (!buf || !planar) {
        free(buf);
        free(planar);
        png_image_free(&png);
        return err_set(err, "%s: out of memory for a %ux%u image", path, png.width, png.height);
    }
    png_color black = {0, 0, 0};
    if (!png_image_finish_read(&png, &black, buf, 0, NULL)) {
        free(buf);
        free(planar);
        return err_set(err, "%s: corrupt or truncated PNG: %s", path, png.message);
    }
    if (png.warning_or_error) { /* a warning (say, a bad CRC) still means a damaged file */
        free(buf);
        free(planar);
        return err_set(err, "%s: corrupt PNG: %s", path, png.message);
    }
    to_planar(planar, buf, (int)png.width, (int)png.height, channels);
    free(buf);
    img->width = (int)png.width;
    img->height = (int)png.height;
    img->channels = channels;
    img->pixels = planar;
    return 0;
}

typedef struct {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} JpegError;

static void jpeg_fail(j_common_ptr cinfo) {
    JpegError *e = (JpegError *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

/* libjpeg carries on after a damaged stream ("Premature end of JPEG file") with grey filler: a warning is
 * treated as the error it is. */
static void jpeg_message(j_common_ptr cinfo, int level) {
    if (level < 0) jpeg_fail(cinfo);
}

static int read_jpeg(Image *img, FILE *f, const char *path, int channels, int min_side, char *err) {
    struct jpeg_decompress_struct cinfo;
    JpegError jerr;
    uint8_t *volatile rows = NULL, *volatile planar = NULL;
    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = jpeg_fail;
    jerr.mgr.emit_message = jpeg_message;
    if (setjmp(jerr.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(rows);
        free(planar);
        return err_set(err, "%s: corrupt or truncated JPEG: %s", path, jerr.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, f);
    jpeg_read_header(&cinfo, TRUE);
    if ((size_t)cinfo.image_width * cinfo.image_height > IMAGE_MAX_PIXELS) {
        jpeg_destroy_decompress(&cinfo);
        return err_set(err, "%s: implausible JPEG size %ux%u", path, cinfo.image_width, cinfo.image_height);
    }
    cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    if (min_side > 0) {
        const unsigned shorter = cinfo.image_width < cinfo.image_height ? cinfo.image_width : cinfo.image_height;
        unsigned denom = 1;
        while (denom < 8 && shorter / (denom * 2) >= (unsigned)min_side) denom *= 2;
        cinfo.scale_num = 1;
        cinfo.scale_denom = denom;
    }
    jpeg_start_decompress(&cinfo);
    const int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
    if (cinfo.output_components != channels) {
        jpeg_destroy_decompress(&cinfo);
        return err_set(err, "%s: JPEG decodes to %d channels, expected %d", path, cinfo.output_components, channels);
    }
    rows = malloc((size_t)w * h * channels);
    planar = malloc((size_t)w * h * channels);
    if (!rows || !planar) {
        jpeg_destroy_decompress(&cinfo);
        free(rows);
        free(planar);
        return err_set(err, "%s: out of memory for a %dx%d image", path, w, h);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = rows + (size_t)cinfo.output_scanline * w * channels;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    to_planar(planar, rows, w, h, channels);
    free(rows);
    img->width = w;
    img->height = h;
    img->channels = channels;
    img->pixels = planar;
    return 0;
}

int image_read(Image *img, const char *path, int channels, int min_side, char err[ERR_LEN]) {
    memset(img, 0, sizeof *img);
    if (channels != 1 && channels != 3) return err_set(err, "%s: cannot decode to %d channels", path, channels);
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, "%s: %s", path, errno == ENOENT ? "missing file" : strerror(errno));
    uint8_t magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    int rc;
    if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) {
        rewind(f);
        rc = read_jpeg(img, f, path, channels, min_side, err);
        fclose(f);
    } else if (got == 8 && !png_sig_cmp(magic, 0, 8)) {
        fclose(f);
        rc = read_png(img, path, channels, err);
    } else {
        fclose(f);
        rc = err_set(err, "%s: not a PNG or JPEG file%s", path, got == 0 ? " (empty)" : "");
    }
    return rc;
}

int image_write_png(const char *path, const uint8_t *pixels, int width, int height, int channels, char err[ERR_LEN]) {
    uint8_t *rows = malloc((size_t)width * height * channels);
    if (!rows) return err_set(err, "%s: out of memory", path);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            for (int c = 0; c < channels; c++)
                rows[((size_t)y * width + x) * channels + c] = pixels[((size_t)c * height + y) * width + x];
    png_image png;
    memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    png.width = (png_uint_32)width;
    png.height = (png_uint_32)height;
    png.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    int ok = png_image_write_to_file(&png, path, 0, rows, 0, NULL);
    free(rows);
    if (!ok) return err_set(err, "%s: cannot write PNG: %s", path, png.message);
    return 0;
}
