// libFuzzer target: RESP bytes through the hiredis reader and into RedisReply.
//
// The first input byte picks a chunk size, so one input is also fed the
// way a socket delivers it: in pieces. Two readers get the same pieces: one
// building RedisReply values in place (RedisReply::readerFunctions, what
// RedisConnection uses) and one building hiredis's own objects, copied with
// RedisReply::fromHiredis. Both are set up like RedisConnection's reader
// (array element limit, idle buffer size). They must agree on every reply
// and on where the input turns bad (differential check); every reply is
// also exercised: display string, pairs, integer conversion, equality with
// its own copy.
#include "redisreply.h"

#include <hiredis/hiredis.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace {

// Same limit as RedisConnection::kMaxArrayElements.
constexpr long long MaxArrayElements = 64LL * 1024 * 1024;

void *(*g_createArray)(const redisReadTask *, int) = nullptr;
void *(*g_createDirectArray)(const redisReadTask *, int) = nullptr;

void *guardedCreateArray(const redisReadTask *task, int elements)
{
    if (elements > MaxArrayElements)
        return nullptr;
    return g_createArray(task, elements);
}

void *guardedCreateDirectArray(const redisReadTask *task, int elements)
{
    if (elements > MaxArrayElements)
        return nullptr;
    return g_createDirectArray(task, elements);
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

redisReader *makeDirectReader()
{
    static redisReplyObjectFunctions functions = [] {
        redisReplyObjectFunctions copy = RedisReply::readerFunctions();
        g_createDirectArray = copy.createArray;
        copy.createArray = guardedCreateDirectArray;
        return copy;
    }();
    redisReader *reader = redisReaderCreateWithFunctions(&functions);
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
    redisReader *direct = makeDirectReader();
    bool failed = false;
    for (size_t offset = 0; offset < size && !failed; offset += chunk) {
        const size_t n = offset + chunk <= size ? chunk : size - offset;
        const char *bytes = reinterpret_cast<const char *>(data + offset);
        const bool fed = redisReaderFeed(reader, bytes, n) == REDIS_OK;
        if (fed != (redisReaderFeed(direct, bytes, n) == REDIS_OK))
            abort();
        if (!fed)
            break;
        for (;;) {
            void *raw = nullptr;
            void *built = nullptr;
            const bool ok = redisReaderGetReply(reader, &raw) == REDIS_OK;
            const bool directOk = redisReaderGetReply(direct, &built) == REDIS_OK;
            const std::unique_ptr<RedisReply> own(static_cast<RedisReply *>(built));
            if (ok != directOk || (raw == nullptr) != (built == nullptr))
                abort();
            if (!ok) {
                failed = true;
                break;
            }
            if (!raw)
                break;
            const RedisReply reply = RedisReply::fromHiredis(static_cast<const redisReply *>(raw));
            freeReplyObject(raw);
            if (!(reply == *own))
                abort();
            exercise(reply);
        }
    }
    redisReaderFree(reader);
    redisReaderFree(direct);
    return 0;
}
