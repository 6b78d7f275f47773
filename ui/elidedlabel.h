// ElidedLabel: one line of plain text that never widens its layout.
//
// When the text does not fit it is drawn cut with "…" and the tooltip holds
// the whole text (so nothing is lost, and a narrow column is not forced
// wider). isElided() tells whether it is cut right now.
#pragma once

#include <QLabel>

class ElidedLabel final : public QLabel
{
    Q_OBJECT

public:
    explicit ElidedLabel(QWidget *parent = nullptr);

    bool isElided() const;
    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;
};
