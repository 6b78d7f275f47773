// LabChartView: a lab's chart (core/labs LabChart) drawn with Qt Charts.
//
// In-app lines are solid, Redis's measurements dashed, published reference
// values dots; the same factor or policy keeps one colour across looks. The
// view is what the Labs dock shows and what `cachelab lab --out` saves.
#pragma once

#include "labresult.h"

#include <QChartView>

class LabChartView final : public QChartView
{
    Q_OBJECT

public:
    explicit LabChartView(QWidget *parent = nullptr);
    /// Replaces what the view shows.
    void setLabChart(const LabChart &chart);
    const LabChart &labChart() const { return m_chart; }

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    /// Scatter charts: squares sized to fill their grid cells.
    void fitMarkers();
    LabChart m_chart;
};
