// DemoProducts: the products seedDemoData() inserts into an empty table.
#pragma once

#include <QList>
#include <QString>

struct DemoProduct final
{
    QString name;
    qint64 price = 0; ///< cents
};

namespace DemoProducts {
/// A dozen plausible products; every entry passes ProductValidator.
QList<DemoProduct> all();
} // namespace DemoProducts
