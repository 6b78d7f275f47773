// Timestamp: hand-made ISO 8601 for the one layout CacheLab writes.
#include "timestamp.h"

#include <QString>

namespace Timestamp {

QDateTime parseUtc(QByteArrayView text)
{
    const auto num = [text](int from, int len, int *out) {
        int v = 0;
        for (int i = from; i < from + len; ++i) {
            const char c = text.at(i);
            if (c < '0' || c > '9')
                return false;
            v = v * 10 + (c - '0');
        }
        *out = v;
        return true;
    };
    int y, mo, d, h, mi, s, ms;
    if (text.size() == 24 && text.at(4) == '-' && text.at(7) == '-' && text.at(10) == 'T' && text.at(13) == ':'
        && text.at(16) == ':' && text.at(19) == '.' && text.at(23) == 'Z' && num(0, 4, &y) && num(5, 2, &mo)
        && num(8, 2, &d) && num(11, 2, &h) && num(14, 2, &mi) && num(17, 2, &s) && num(20, 3, &ms)) {
        const QDate date(y, mo, d);
        const QTime time(h, mi, s, ms);
        if (date.isValid() && time.isValid())
            return QDateTime(date, time, Qt::UTC);
    }
    return QDateTime::fromString(QString::fromUtf8(text), Qt::ISODateWithMs).toUTC();
}

QByteArray formatUtc(const QDateTime &when)
{
    if (!when.isValid())
        return {};
    const QDateTime utc = when.timeSpec() == Qt::UTC ? when : when.toUTC();
    const QDate date = utc.date();
    const QTime time = utc.time();
    if (date.year() < 0 || date.year() > 9999)
        return utc.toString(Qt::ISODateWithMs).toLatin1();
    // Digits right to left into fixed places: yyyy-MM-ddTHH:mm:ss.zzzZ
    char buf[] = "0000-00-00T00:00:00.000Z";
    const auto put = [&buf](int end, int value, int digits) {
        for (int i = end; digits > 0; --i, --digits, value /= 10)
            buf[i] = char('0' + value % 10);
    };
    put(3, date.year(), 4);
    put(6, date.month(), 2);
    put(9, date.day(), 2);
    put(12, time.hour(), 2);
    put(15, time.minute(), 2);
    put(18, time.second(), 2);
    put(22, time.msec(), 3);
    return QByteArray(buf, sizeof buf - 1);
}

} // namespace Timestamp
