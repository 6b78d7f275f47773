// CrashWriter: the process the write-paths lab kills.
//
//   cachelab lab-writer [--redis URL] --db FILE --design D --ids N [--inflight K] [--first-price P]
//                      [--pace-ms MS] [--db-ms MS] [--drain]
//
// Without --redis the URL comes from CACHELAB_LAB_REDIS_URL (so a password
// is never on a command line).
// Designs: "write-through" and "write-behind" are CacheLab's own
// (ProductService under that strategy); "article" is the seed article's
// write-behind: a write HSETs the hash and RPUSHes the id (one MULTI), a
// worker LPOPs an id, reads the hash and saves it to SQLite, so an id it has
// popped and not yet saved is in neither the queue nor SQLite.
//
// Every acknowledged write is one line on stdout, written with one write(2)
// so a SIGKILL cuts the stream only between lines:
//   READY                   the database is open and Redis connected
//   ACK <id> <price>        a write was acknowledged (prices only grow)
//   POP <id>                the article's worker took an id off the queue
//   SAVED <id> <price>      ... and saved it to SQLite
//   DRAINED                 --drain: the queue is empty; the process exits 0
// Each of the K writers owns the ids with (id - 1) % K == its number, so no
// two writes of one id are in flight at once and the last ACK of an id is
// its final acknowledged state.
#pragma once

#include <QStringList>

namespace CrashWriter {

/// True when argv asks for it (argv[1] == "lab-writer").
bool wanted(int argc, char **argv);
/// Runs it in a QCoreApplication of its own; returns the exit status.
int run(int argc, char **argv);

} // namespace CrashWriter
