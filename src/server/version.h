/* version.h — the server's version, reported by /v1/health and posternd --version. */
#ifndef POSTERN_VERSION_H
#define POSTERN_VERSION_H
#define POSTERN_VERSION "0.1.0"
#endif
