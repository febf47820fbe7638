#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <microhttpd.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
// GnuTLS comes with libmicrohttpd's TLS; its hashes (nettle's, using the CPU's SHA instructions where there
// are some) also serve the gateway's SHA-256.
#include <gnutls/crypto.h>

// Swift cannot call C variadic functions, so the three libmicrohttpd entry points that take `...` get
// fixed-argument wrappers here.

/// Starts a daemon with its options given as an `MHD_OPTION_END`-terminated array.
static inline struct MHD_Daemon *primes_mhd_start_daemon(unsigned int flags, uint16_t port,
                                                         MHD_AccessHandlerCallback handler, void *handler_context,
                                                         const struct MHD_OptionItem *options) {
    return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_context, MHD_OPTION_ARRAY, options,
                            MHD_OPTION_END);
}

/// Reads one piece of information about a connection.
static inline const union MHD_ConnectionInfo *primes_mhd_connection_info(struct MHD_Connection *connection,
                                                                          enum MHD_ConnectionInfoType kind) {
    return MHD_get_connection_info(connection, kind);
}

/// Reads one piece of information about a daemon.
static inline const union MHD_DaemonInfo *primes_mhd_daemon_info(struct MHD_Daemon *daemon,
                                                                  enum MHD_DaemonInfoType kind) {
    return MHD_get_daemon_info(daemon, kind);
}
