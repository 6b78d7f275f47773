// freeport.h: a TCP port on 127.0.0.1 that nothing listens on at the moment.
//
// The kernel chooses the port (a bind to port 0), and it is released before
// the function returns, so another process may take it before the caller's
// server binds. Every launcher therefore treats a failed bind as "try again
// with a new port" rather than as an error.
#pragma once

#include <QtGlobal>

/// A currently unused loopback port, or 0 if no socket could be bound.
quint16 freeLoopbackPort();
