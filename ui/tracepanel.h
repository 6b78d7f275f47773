// TracePanel: the list of recent operations and the diagram of the chosen one.
//
// The diagram follows the newest operation a person started (background
// work and follow-ups do not take it away). Clicking a row shows that one
// until the next such operation arrives; the Pin button keeps the one shown
// until it is released.
#pragma once

#include "operationtrace.h"

#include <QWidget>

class ProductService;
class QTableView;
class QToolButton;
class TraceDiagram;
class TraceListModel;

class TracePanel final : public QWidget
{
    Q_OBJECT

public:
    /// Shows every trace the service records; with a null service only
    /// the ones given to addTrace().
    explicit TracePanel(ProductService *service, QWidget *parent = nullptr);

    TraceListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    TraceDiagram *diagram() const { return m_diagram; }
    QToolButton *pinButton() const { return m_pin; }
    bool isPinned() const;
    void setPinned(bool pinned);
    void addTrace(const OperationTrace &trace);

protected:
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    /// Widths of the fixed columns from the current font.
    void fitColumns();

    TraceListModel *m_model;
    QTableView *m_view;
    TraceDiagram *m_diagram;
    QToolButton *m_pin;
    bool m_selecting = false; ///< the panel itself moves the selection
};
