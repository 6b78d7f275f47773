// DemoProducts: a small, believable catalogue so a fresh database has
// something to cache. Prices are in cents.
#include "demoproducts.h"

namespace DemoProducts {

QList<DemoProduct> all()
{
    return {
        { QStringLiteral("Espresso machine"), 34900 },
        { QStringLiteral("Burr coffee grinder"), 12900 },
        { QStringLiteral("Milk frothing jug"), 1890 },
        { QStringLiteral("Pour-over kettle"), 5490 },
        { QStringLiteral("Ceramic mug, 350 ml"), 1290 },
        { QStringLiteral("Single-origin beans, 1 kg"), 2890 },
        { QStringLiteral("Tamper, 58 mm"), 3490 },
        { QStringLiteral("Digital scale"), 2490 },
        { QStringLiteral("French press"), 3290 },
        { QStringLiteral("Cold brew bottle"), 2190 },
        { QStringLiteral("Descaling tablets"), 990 },
        { QStringLiteral("Knock box"), 1990 },
    };
}

} // namespace DemoProducts
