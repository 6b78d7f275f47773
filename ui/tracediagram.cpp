// TraceDiagram: custom painting; lanes sized to the widget width.
#include "tracediagram.h"

#include "theme.h"
#include "tracelistmodel.h"

#include <QFontDatabase>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTextLayout>
#include <QToolTip>

namespace {
constexpr int Margin = 10;

// text broken into lines no wider than width (at word boundaries where it
// can, anywhere in a long SQL or key name where it must).
QStringList wrapLines(const QString &text, const QFont &font, int width)
{
    QStringList lines;
    QTextLayout layout(text, font);
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(option);
    layout.beginLayout();
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(std::max(40, width));
        QString piece = text.mid(line.textStart(), line.textLength());
        while (piece.endsWith(QLatin1Char(' ')) || piece.endsWith(QLatin1Char('\n')))
            piece.chop(1);
        lines.append(piece);
    }
    layout.endLayout();
    return lines;
}
} // namespace

TraceDiagram::TraceDiagram(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("traceDiagram"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    setFocusPolicy(Qt::ClickFocus);
}

void TraceDiagram::setTrace(const OperationTrace &trace)
{
    // The same operation shown again keeps the steps the person opened.
    if (!m_has || trace.id != m_trace.id)
        m_expanded.clear();
    m_trace = trace;
    m_has = true;
    invalidateLayout();
}

void TraceDiagram::clear()
{
    m_has = false;
    m_trace = {};
    m_expanded.clear();
    invalidateLayout();
}

void TraceDiagram::invalidateLayout()
{
    m_layoutValid = false;
    updateGeometry();
    update();
}

QFont TraceDiagram::monoFont() const
{
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setPointSizeF(font().pointSizeF() * 0.92);
    return mono;
}

QFont TraceDiagram::pillFont() const
{
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    small.setBold(true);
    return small;
}

const QList<TraceDiagram::StepLayout> &TraceDiagram::layout() const
{
    if (m_layoutValid)
        return m_layout;
    m_layout.clear();
    const QFont mono = monoFont();
    const QFontMetrics monoFm(mono);
    const QFontMetrics smallFm(pillFont());
    const int lineH = monoFm.height();
    const int w = width() - 2 * Margin;
    const int textLeft = Margin + w / 8 + 14;
    const int fullRoom = width() - Margin - textLeft;
    int y = headerHeight();
    for (int i = 0; i < m_trace.steps.size(); ++i) {
        const TraceStep &step = m_trace.steps.at(i);
        const int pillW = smallFm.horizontalAdvance(traceOutcomeName(step.outcome)) + 14;
        const QString time = step.micros > 0 ? TraceListModel::formatMicros(step.micros) : QString();
        const int timeW = time.isEmpty() ? 0 : smallFm.horizontalAdvance(time) + 8;
        const int room = std::max(40, width() - Margin - textLeft - pillW - timeW - 10);
        StepLayout l;
        const QString oneLine = monoFm.elidedText(step.text, Qt::ElideRight, room);
        const QString oneDetail
            = step.detail.isEmpty() ? QString() : monoFm.elidedText(step.detail, Qt::ElideRight, std::max(40, fullRoom));
        l.elided = oneLine != step.text || oneDetail != step.detail;
        if (m_expanded.contains(i)) {
            l.textLines = wrapLines(step.text, mono, room);
            if (!step.detail.isEmpty())
                l.detailLines = wrapLines(step.detail, mono, fullRoom);
        } else {
            l.textLines = QStringList { oneLine };
            if (!oneDetail.isEmpty())
                l.detailLines = QStringList { oneDetail };
        }
        if (l.textLines.isEmpty())
            l.textLines.append(QString());
        l.top = y;
        // One text line and one reply line keep the classic row height.
        l.arrowY = y + std::max(rowHeight() / 2 + 4, 2 + int(l.textLines.size()) * lineH + 6);
        l.height = std::max(rowHeight(), l.arrowY - y + 5 + int(l.detailLines.size()) * lineH + 4);
        y += l.height;
        m_layout.append(l);
    }
    m_layoutValid = true;
    return m_layout;
}

int TraceDiagram::stepAt(const QPoint &pos) const
{
    if (!m_has)
        return -1;
    const QList<StepLayout> &steps = layout();
    for (int i = 0; i < steps.size(); ++i) {
        if (pos.y() >= steps.at(i).top && pos.y() < steps.at(i).top + steps.at(i).height)
            return i;
    }
    return -1;
}

bool TraceDiagram::isStepElided(int step) const
{
    return m_has && step >= 0 && step < layout().size() && layout().at(step).elided;
}

void TraceDiagram::setStepExpanded(int step, bool expanded)
{
    if (!m_has || step < 0 || step >= m_trace.steps.size() || expanded == m_expanded.contains(step))
        return;
    if (expanded)
        m_expanded.insert(step);
    else
        m_expanded.remove(step);
    invalidateLayout();
}

QString TraceDiagram::stepToolTip(int step) const
{
    if (!m_has || step < 0 || step >= m_trace.steps.size())
        return {};
    const TraceStep &s = m_trace.steps.at(step);
    QString tip = QStringLiteral("<p style='white-space:pre-wrap'><b>%1</b> · %2")
                      .arg(Theme::systemLabel(s.system).toHtmlEscaped(), traceOutcomeName(s.outcome).toHtmlEscaped());
    if (s.micros > 0)
        tip += QStringLiteral(" · ") + TraceListModel::formatMicros(s.micros).toHtmlEscaped();
    tip += QStringLiteral("<br><code>%1</code>").arg(s.text.toHtmlEscaped());
    if (!s.detail.isEmpty())
        tip += QStringLiteral("<br>→ <code>%1</code>").arg(s.detail.toHtmlEscaped());
    if (isStepElided(step) || m_expanded.contains(step))
        tip += QStringLiteral("<br><i>%1</i>")
                   .arg(m_expanded.contains(step) ? tr("Click to fold this step.") : tr("Click to show the whole step."));
    return tip + QStringLiteral("</p>");
}

bool TraceDiagram::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int step = stepAt(help->pos());
        if (step >= 0)
            QToolTip::showText(help->globalPos(), stepToolTip(step), this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

void TraceDiagram::mousePressEvent(QMouseEvent *event)
{
    const int step = stepAt(event->position().toPoint());
    if (event->button() == Qt::LeftButton && step >= 0 && (isStepElided(step) || isStepExpanded(step))) {
        setStepExpanded(step, !isStepExpanded(step));
        event->accept();
        return;
    }
    QWidget::mousePressEvent(event);
}

void TraceDiagram::keyPressEvent(QKeyEvent *event)
{
    // Enter opens every cut step at once; again folds them all.
    if (m_has && (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter)) {
        const bool anyOpen = !m_expanded.isEmpty();
        for (int i = 0; i < m_trace.steps.size(); ++i) {
            if (anyOpen)
                m_expanded.remove(i);
            else if (isStepElided(i))
                m_expanded.insert(i);
        }
        invalidateLayout();
        event->accept();
        return;
    }
    QWidget::keyPressEvent(event);
}

void TraceDiagram::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    m_layoutValid = false; // what fits depends on the width
}

int TraceDiagram::rowHeight() const
{
    return fontMetrics().height() * 2 + 10;
}

int TraceDiagram::headerHeight() const
{
    return fontMetrics().height() * 3 + 14;
}

QSize TraceDiagram::sizeHint() const
{
    int body = 2 * rowHeight();
    if (m_has) {
        body = 0;
        for (const StepLayout &l : layout())
            body += l.height;
    }
    return { 420, headerHeight() + body + fontMetrics().height() * 2 + 16 };
}

QSize TraceDiagram::minimumSizeHint() const
{
    return { 300, sizeHint().height() };
}

void TraceDiagram::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QFontMetrics fm = fontMetrics();

    if (!m_has) {
        p.setPen(Theme::muted());
        p.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap,
            tr("Pick an operation on the left to see what it did:\nApp → Redis → SQLite, step by step."));
        return;
    }

    const int margin = Margin;
    const int w = width() - 2 * margin;
    const int laneX[3] = { margin + w / 8, margin + w / 2 - w / 16, margin + w - w / 8 };
    const auto laneOf = [&](TraceSystem s) {
        return laneX[s == TraceSystem::App ? 0 : s == TraceSystem::Redis ? 1 : 2];
    };

    // Title line: operation, strategy, outcome, total time.
    QFont titleFont = font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.1);
    p.setFont(titleFont);
    p.setPen(pal.color(QPalette::Text));
    QString title = m_trace.operation;
    if (m_trace.productId > 0)
        title += QStringLiteral(" #%1").arg(m_trace.productId);
    title += QStringLiteral("  ·  %1").arg(strategyName(m_trace.strategy));
    p.drawText(QRect(margin, 4, w, fm.height() + 6), Qt::AlignLeft | Qt::AlignVCenter, title);
    const QString total = tr("%1 total").arg(TraceListModel::formatMicros(m_trace.totalMicros));
    p.drawText(QRect(margin, 4, w, fm.height() + 6), Qt::AlignRight | Qt::AlignVCenter, total);

    // Lane heads.
    const int headTop = fm.height() + 14;
    const int headH = fm.height() + 10;
    QFont headFont = font();
    headFont.setBold(true);
    p.setFont(headFont);
    const QList<StepLayout> &steps = layout();
    const int bodyBottom = (steps.isEmpty() ? headerHeight() : steps.last().top + steps.last().height) + 4;
    for (TraceSystem s : { TraceSystem::App, TraceSystem::Redis, TraceSystem::Sql }) {
        const int x = laneOf(s);
        const QColor c = Theme::systemColor(s);
        const int boxW = fm.horizontalAdvance(QStringLiteral("SQLite")) + 28;
        const QRectF box(x - boxW / 2.0, headTop, boxW, headH);
        QPainterPath path;
        path.addRoundedRect(box, 6, 6);
        p.fillPath(path, c);
        p.setPen(Theme::textOn(c));
        p.drawText(box, Qt::AlignCenter, Theme::systemLabel(s));
        QColor line = c;
        line.setAlphaF(0.35f);
        p.setPen(QPen(line, 2, Qt::DashLine));
        p.drawLine(QPointF(x, box.bottom()), QPointF(x, bodyBottom));
    }

    // Steps.
    const QFont mono = monoFont();
    const QFontMetrics monoFm(mono);
    const QFont small = pillFont();
    const QFontMetrics smallFm(small);
    const int lineH = monoFm.height();
    for (int i = 0; i < steps.size(); ++i) {
        const TraceStep &step = m_trace.steps.at(i);
        const StepLayout &l = steps.at(i);
        const int y = l.top;
        const QColor outcome = Theme::outcomeColor(step.outcome);
        const int from = laneX[0];
        const int to = laneOf(step.system);
        const int arrowY = l.arrowY;

        // Outcome pill and time, right after the first line of the label.
        const QString pillText = traceOutcomeName(step.outcome);
        const int pillW = smallFm.horizontalAdvance(pillText) + 14;
        const QString time = step.micros > 0 ? TraceListModel::formatMicros(step.micros) : QString();
        const int timeW = time.isEmpty() ? 0 : smallFm.horizontalAdvance(time) + 8;

        if (step.system == TraceSystem::App) {
            // A note on the app lifeline.
            p.setPen(Qt::NoPen);
            p.setBrush(outcome);
            p.drawEllipse(QPointF(from, arrowY), 5, 5);
        } else {
            QColor c = Theme::systemColor(step.system);
            p.setPen(QPen(c, 2));
            p.drawLine(QPointF(from + 6, arrowY), QPointF(to - 8, arrowY));
            QPainterPath head;
            head.moveTo(to - 2, arrowY);
            head.lineTo(to - 11, arrowY - 5);
            head.lineTo(to - 11, arrowY + 5);
            head.closeSubpath();
            p.fillPath(head, c);
            p.setPen(Qt::NoPen);
            p.setBrush(outcome);
            p.drawEllipse(QPointF(to, arrowY), 5, 5);
        }

        // Label above the arrow (the command or SQL), the reply below it:
        // one cut line each, or every line when the step is expanded.
        const int textLeft = from + 14;
        p.setFont(mono);
        p.setPen(pal.color(QPalette::Text));
        for (int line = 0; line < l.textLines.size(); ++line)
            p.drawText(QRect(textLeft, y + 2 + line * lineH, width() - margin - textLeft, lineH + 2),
                Qt::AlignLeft | Qt::AlignVCenter, l.textLines.at(line));
        const int textW = monoFm.horizontalAdvance(l.textLines.first());
        if (!l.detailLines.isEmpty()) {
            p.setPen(Theme::muted());
            for (int line = 0; line < l.detailLines.size(); ++line)
                p.drawText(QRect(textLeft, arrowY + 5 + line * lineH, width() - margin - textLeft, lineH + 2),
                    Qt::AlignLeft | Qt::AlignVCenter, l.detailLines.at(line));
        }
        if (l.elided && !m_expanded.contains(i)) {
            // A small mark that there is more: click the step to see it.
            p.setPen(Theme::muted());
            p.drawText(QRect(margin, y + 2, textLeft - margin - 4, lineH + 2), Qt::AlignRight | Qt::AlignVCenter,
                QStringLiteral("\u25b8"));
        }

        p.setFont(small);
        const QRectF pill(
            textLeft + textW + 8, y + 2 + (monoFm.height() - smallFm.height()) / 2.0 - 1, pillW, smallFm.height() + 4);
        QPainterPath pillPath;
        pillPath.addRoundedRect(pill, pill.height() / 2, pill.height() / 2);
        p.fillPath(pillPath, outcome);
        p.setPen(Theme::textOn(outcome));
        p.drawText(pill, Qt::AlignCenter, pillText);
        if (!time.isEmpty()) {
            p.setPen(pal.color(QPalette::Text));
            p.drawText(
                QRectF(pill.right() + 6, pill.top(), timeW, pill.height()), Qt::AlignLeft | Qt::AlignVCenter, time);
        }
    }

    // Result line.
    p.setFont(headFont);
    const QColor oc = Theme::outcomeColor(m_trace.outcome);
    p.setPen(oc);
    QString result = tr("Result: %1").arg(traceOutcomeName(m_trace.outcome));
    if (!m_trace.error.isEmpty())
        result += QStringLiteral(" — ") + m_trace.error;
    p.drawText(QRect(margin, bodyBottom + 4, w, fm.height() + 8), Qt::AlignLeft | Qt::AlignVCenter,
        fm.elidedText(result, Qt::ElideRight, w));
}
