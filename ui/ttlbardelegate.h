// TtlBarDelegate: paints the key browser's rows: a draining bar plus a
// ticking number in the TTL column, and the fade-out of keys that expired.
#pragma once

#include <QStyledItemDelegate>

class TtlBarDelegate final : public QStyledItemDelegate
{
    Q_OBJECT

public:
    explicit TtlBarDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};
