/* keylog.h — TLS session keys for a packet capture's reader. When the
 * environment variable KEYLOG_ENV names a file, every TLS context this
 * program makes (sofia-sip's, the registrar probe's) appends its session
 * secrets there in the SSLKEYLOGFILE format; otherwise nothing changes.
 * The lab sets it for its own processes when a run is captured. */
#ifndef SIPLAB_KEYLOG_H
#define SIPLAB_KEYLOG_H

#define KEYLOG_ENV "SIPLAB_TLS_KEYLOG"

#endif
