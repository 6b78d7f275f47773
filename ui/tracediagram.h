// TraceDiagram: one operation drawn as a sequence diagram.
//
// Three lifelines (App, Redis, SQLite); each step is an arrow from the app
// to the system it talked to, labelled with the command or SQL, a coloured
// outcome pill and its duration. App notes sit on the app's lifeline. This
// is where a student sees a miss turn into a fill.
//
// A step's text is cut to the room there is; its tooltip has the whole text
// and reply, and a click (or Enter on the focused diagram) expands it in
// place, wrapped over as many lines as it needs. Click again to fold it.
#pragma once

#include "operationtrace.h"

#include <QSet>
#include <QStringList>
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

    /// The step drawn at pos, -1 when none.
    int stepAt(const QPoint &pos) const;
    /// Whether step's text or reply is cut at the current width.
    bool isStepElided(int step) const;
    bool isStepExpanded(int step) const { return m_expanded.contains(step); }
    void setStepExpanded(int step, bool expanded);
    /// What the tooltip of a step says: its whole text and reply.
    QString stepToolTip(int step) const;

protected:
    bool event(QEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    struct StepLayout
    {
        int top = 0;
        int height = 0;
        int arrowY = 0; ///< the arrow, between the text and the reply
        QStringList textLines; ///< as drawn: one elided line, or all wrapped lines
        QStringList detailLines;
        bool elided = false;
    };
    int rowHeight() const;
    int headerHeight() const;
    QFont monoFont() const;
    QFont pillFont() const;
    /// Where each step goes at the current width (recomputed on change).
    const QList<StepLayout> &layout() const;
    void invalidateLayout();

    OperationTrace m_trace;
    bool m_has = false;
    QSet<int> m_expanded;
    mutable QList<StepLayout> m_layout;
    mutable bool m_layoutValid = false;
};
