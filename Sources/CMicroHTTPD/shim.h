#ifndef C_MICRO_HTTPD_SHIM_H
#define C_MICRO_HTTPD_SHIM_H
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdint.h>
#include <microhttpd.h>
#include <crypt.h>
#include <zlib.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

/* zlib's `deflateInit2` is a function-like macro, which Swift cannot import. */
static inline int cmhd_deflate_init_gzip(z_stream *stream, int level) {
    /* windowBits 15 + 16 selects the gzip wrapper; memLevel 8 is zlib's default. */
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/* `MHD_get_connection_info` is variadic, which Swift cannot call: this returns the connection's socket, or -1. */
static inline int cmhd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

#endif
