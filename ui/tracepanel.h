// TracePanel: the list of recent operations and the diagram of the chosen one.
//
// While the newest operation is selected the panel follows new ones; once
// the user picks an older one it stays there.
#pragma once

#include "operationtrace.h"

#include <QWidget>

class ProductService;
class QTableView;
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
    void addTrace(const OperationTrace &trace);

private:
    TraceListModel *m_model;
    QTableView *m_view;
    TraceDiagram *m_diagram;
    bool m_follow = true;
};
