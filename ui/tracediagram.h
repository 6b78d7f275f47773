// TraceDiagram: one operation drawn as a sequence diagram.
//
// Three lifelines (App, Redis, SQLite); each step is an arrow from the app
// to the system it talked to, labelled with the command or SQL, a coloured
// outcome pill and its duration. App notes sit on the app's lifeline. This
// is where a student sees a miss turn into a fill.
#pragma once

#include "operationtrace.h"

#include <QWidget>

class TraceDiagram final : public QWidget
{
    Q_OBJECT

public:
    explicit TraceDiagram(QWidget *parent = nullptr);

    void setTrace(const OperationTrace &trace);
    void clear();
    bool hasTrace() const { return m_has; }
    const OperationTrace &trace() const { return m_trace; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    int rowHeight() const;
    int headerHeight() const;

    OperationTrace m_trace;
    bool m_has = false;
};
