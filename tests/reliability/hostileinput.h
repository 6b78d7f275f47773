// hostileinput.h: generators of hostile product input, shared by the
// reliability tests. oracleNameValid() restates the product rules without
// using ProductValidator, so the two can be checked against each other.
#pragma once

#include "productvalidator.h"

#include <QRandomGenerator>
#include <QStringList>

#include <limits>

namespace hostile {

constexpr qint64 I64Max = std::numeric_limits<qint64>::max();
constexpr qint64 I64Min = std::numeric_limits<qint64>::min();

// The rules, restated: trimmed, 1..100 code points, valid UTF-16, no Cc
// (C0, DEL, C1) code point; price >= 0.
inline bool oracleNameValid(const QString &raw, QString *stored)
{
    // SQLite drops a leading byte-order mark from UTF-16 text, so the
    // validator normalises it away together with the surrounding spaces.
    QString name = raw.trimmed();
    while (name.startsWith(QChar(0xFEFF)))
        name = name.mid(1).trimmed();
    *stored = name;
    if (name.isEmpty() || !QStringView(name).isValidUtf16())
        return false;
    const QList<uint> ucs4 = name.toUcs4();
    if (ucs4.size() > ProductValidator::MaxNameLength)
        return false;
    for (const uint cp : ucs4) {
        if (QChar::category(char32_t(cp)) == QChar::Other_Control)
            return false;
    }
    return true;
}

inline QStringList sqlInjections()
{
    return { QStringLiteral("'; DROP TABLE products; --"), QStringLiteral("\" OR 1=1 --"),
        QStringLiteral("Robert'); DELETE FROM products WHERE ('1'='1"),
        QStringLiteral("%' UNION SELECT * FROM sqlite_master --"),
        QStringLiteral("x' || (SELECT sql FROM sqlite_master) || '"),
        QStringLiteral("?; ATTACH DATABASE '/tmp/x' AS y; --") };
}

// One random name built from hostile pieces.
inline QString randomName(QRandomGenerator &rng)
{
    static const QStringList pieces = [] {
        QStringList p = sqlInjections();
        p << QStringLiteral("plain") << QStringLiteral("Widget 42") << QString::fromUtf8("😀")
          << QString::fromUtf8("👨‍👩‍👧") << QString::fromUtf8("שלום") << QString::fromUtf8("مرحبا بالعالم")
          << QString(QChar(0x202E)) // RLO: format, allowed
          << QString(QChar(0x200B)) << QString::fromUtf8("e\u0301") << QString::fromUtf8("日本語")
          << QStringLiteral("   ") << QString(QChar(0x00A0)) << QString(QChar(0xFEFF)) << QStringLiteral("%s%n%x")
          << QStringLiteral("\\0") << QStringLiteral("<script>alert(1)</script>") << QString(QChar(0xFFFD));
        return p;
    }();
    QString name;
    const int parts = 1 + int(rng.bounded(6));
    for (int i = 0; i < parts; ++i) {
        switch (rng.bounded(12)) {
        case 0: { // a control character: C0, DEL or C1
            static const QList<ushort> controls
                = { 0x00, 0x01, 0x07, 0x09, 0x0A, 0x0D, 0x1B, 0x1F, 0x7F, 0x80, 0x85, 0x9F };
            name += QChar(controls.at(rng.bounded(controls.size())));
            break;
        }
        case 1: // a lone surrogate (high or low)
            name += QChar(ushort(rng.bounded(2) ? 0xD800 + rng.bounded(0x400) : 0xDC00 + rng.bounded(0x400)));
            break;
        case 2: { // random bytes decoded as UTF-8 (invalid sequences become U+FFFD)
            QByteArray bytes(1 + int(rng.bounded(12)), Qt::Uninitialized);
            for (char &c : bytes)
                c = char(rng.bounded(256));
            name += QString::fromUtf8(bytes);
            break;
        }
        case 3: // long run: just over the limit, or (rarely) 1 MB
            name += QString(
                rng.bounded(200) == 0 ? 1024 * 1024 : 60 + int(rng.bounded(60)), QChar(u'a' + rng.bounded(26)));
            break;
        default:
            name += pieces.at(rng.bounded(pieces.size()));
        }
    }
    return name;
}

inline qint64 randomPrice(QRandomGenerator &rng)
{
    switch (rng.bounded(8)) {
    case 0:
        return 0;
    case 1:
        return I64Max;
    case 2:
        return I64Max - qint64(rng.bounded(1000));
    case 3:
        return -1;
    case 4:
        return I64Min;
    case 5:
        return -qint64(rng.generate64() >> 1);
    default:
        return qint64(rng.generate64() >> 1);
    }
}

} // namespace hostile
