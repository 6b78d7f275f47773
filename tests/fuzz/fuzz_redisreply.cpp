// libFuzzer target: RESP bytes through the hiredis reader and into RedisReply.
//
// The first input byte picks a chunk size, so one input is also fed the
// way a socket delivers it: in pieces. The reader is set up like
// RedisConnection's (array element limit, idle buffer size). Every complete
// reply is copied with RedisReply::fromHiredis and exercised: display
// string, pairs, integer conversion, equality with its own copy.
#include "redisreply.h"

#include <hiredis/hiredis.h>

#include <cstdint>
#include <cstdlib>

namespace {

// Same limit as RedisConnection::kMaxArrayElements.
constexpr long long MaxArrayElements = 64LL * 1024 * 1024;

void *(*g_createArray)(const redisReadTask *, int) = nullptr;

void *guardedCreateArray(const redisReadTask *task, int elements)
{
    if (elements > MaxArrayElements)
        return nullptr;
    return g_createArray(task, elements);
}

redisReader *makeReader()
{
    redisReader *reader = redisReaderCreate();
    static redisReplyObjectFunctions functions = [reader] {
        redisReplyObjectFunctions copy = *reader->fn;
        g_createArray = copy.createArray;
        copy.createArray = guardedCreateArray;
        return copy;
    }();
    reader->fn = &functions;
    reader->maxbuf = 64 * 1024;
    return reader;
}

void exercise(const RedisReply &reply, int depth = 0)
{
    const RedisReply copy = reply;
    if (!(copy == reply))
        abort();
    (void)reply.toDisplayString();
    (void)reply.toDisplayString(-1);
    (void)reply.toDisplayString(0);
    bool ok = false;
    (void)reply.toInteger(&ok);
    (void)reply.errorMessage();
    (void)reply.toPairs();
    if (depth < 8) {
        for (const RedisReply &element : reply.elements())
            exercise(element, depth + 1);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const size_t chunk = 1 + data[0] % 64;
    ++data;
    --size;
    redisReader *reader = makeReader();
    bool failed = false;
    for (size_t offset = 0; offset < size && !failed; offset += chunk) {
        const size_t n = offset + chunk <= size ? chunk : size - offset;
        if (redisReaderFeed(reader, reinterpret_cast<const char *>(data + offset), n) != REDIS_OK)
            break;
        for (;;) {
            void *raw = nullptr;
            if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
                failed = true;
                break;
            }
            if (!raw)
                break;
            const RedisReply reply = RedisReply::fromHiredis(static_cast<const redisReply *>(raw));
            freeReplyObject(raw);
            exercise(reply);
        }
    }
    redisReaderFree(reader);
    return 0;
}
