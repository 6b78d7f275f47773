// libFuzzer target: RedisUrl::parse on arbitrary text.
//
// The input is read both as UTF-8 and as raw UTF-16 (so lone surrogates and
// every code unit reach the parser). Beyond "no crash, no sanitizer report"
// it checks what the parser promises: a failure always says why, a success
// has a sane port and database, and the redacted form of a URL with a
// password parses again to the same endpoint.
#include "redisurl.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

void check(bool condition)
{
    if (!condition)
        abort();
}

void parseOne(const QString &text)
{
    QString error;
    const std::optional<RedisUrl> url = RedisUrl::parse(text, &error);
    if (!url) {
        check(!error.isEmpty());
        return;
    }
    check(error.isEmpty());
    check(url->db >= 0);
    if (url->transport != RedisUrl::Transport::Unix)
        check(url->port > 0 && !url->host.isEmpty());
    const QString redacted = url->redacted();
    (void)url->endpoint();
    if (!url->password.isEmpty()) {
        const std::optional<RedisUrl> again = RedisUrl::parse(redacted);
        check(again.has_value());
        check(again->transport == url->transport && again->host == url->host && again->port == url->port
            && again->db == url->db && again->socketPath == url->socketPath);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    parseOne(QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size)));
    QString utf16(qsizetype(size / 2), Qt::Uninitialized);
    if (size >= 2)
        memcpy(utf16.data(), data, (size / 2) * 2);
    parseOne(utf16);
    return 0;
}
