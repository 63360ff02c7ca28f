#ifndef C_MICRO_HTTPD_SHIM_H
#define C_MICRO_HTTPD_SHIM_H
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <string.h>
#include <stdarg.h>
#include <stdint.h>
#include <microhttpd.h>
#include <crypt.h>
#include <zlib.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif

/* Lowers the scheduling priority of the calling thread only (Linux applies setpriority to a thread id; `gettid`
 * needs _GNU_SOURCE, which Swift's import does not set). Returns setpriority's result. */
static inline int cmhd_lower_thread_priority(int niceness) {
#ifdef __linux__
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), niceness);
#else
    (void)niceness;
    return -1;
#endif
}

/* The bytes a socket holds that its peer has not acknowledged yet (`SIOCOUTQ`; ioctl is variadic, which Swift
 * cannot call), or -1. */
static inline int cmhd_unsent_bytes(int descriptor) {
#ifdef __linux__
    int count = 0;
    return ioctl(descriptor, SIOCOUTQ, &count) == 0 ? count : -1;
#else
    (void)descriptor;
    return -1;
#endif
}

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

/* The peer's IP address as 16 bytes (IPv4 as an IPv4-mapped IPv6 address, so one address has one form), for
 * counting connections per address. Returns 1, or 0 when the address is unknown or of another family. */
static inline int cmhd_connection_peer(struct MHD_Connection *connection, uint8_t address[16]) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL) return 0;
    const struct sockaddr *peer = info->client_addr;
    if (peer->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)peer;
        memset(address, 0, 10);
        address[10] = 0xFF;
        address[11] = 0xFF;
        memcpy(address + 12, &v4->sin_addr, 4);
        return 1;
    }
    if (peer->sa_family == AF_INET6) {
        memcpy(address, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
        return 1;
    }
    return 0;
}

#endif
