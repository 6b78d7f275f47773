// ChangeLogPanel: the cachelab:changes stream as a timeline, newest first.
//
// One row per entry: time, operation (coloured), product id, version, which
// instance wrote it ("this window" for ours), the strategy, whether a queued
// write-behind write, and whether this window dropped its cached copy
// because of it. A header line gives the stream length and this window's
// consumer group: entries not read yet (lag) and read but not acknowledged
// (pending).
//
// It refreshes when the stream tells it something happened (an append, a
// batch read by the group, the loop stopping or starting), at most once a
// second, with one XREVRANGE and one XLEN + XINFO GROUPS pipeline.
#pragma once

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

class ChangeStream;
class ProductService;
class QLabel;
class QTreeWidget;
struct ChangeEntry;

class ChangeLogPanel final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int MaxRows = 200;
    static constexpr int MinRefreshIntervalMs = 1000;

    /// stream may be null (the change log is turned off): the header says so.
    ChangeLogPanel(ChangeStream *stream, ProductService *service, QWidget *parent = nullptr);

    QTreeWidget *list() const { return m_list; }
    QLabel *header() const { return m_header; }
    /// Asks for a refresh (coalesced: at most one per MinRefreshIntervalMs).
    void requestRefresh();

    enum Column { TimeColumn, OpColumn, IdColumn, VersionColumn, OriginColumn, StrategyColumn, AppliedColumn };

private:
    void attach(ChangeStream *stream, ProductService *service);
    void refreshNow();
    void render(const QList<ChangeEntry> &entries, const QString &error);
    void updateHeader();

    ChangeStream *m_stream = nullptr;
    ProductService *m_service = nullptr;
    QLabel *m_header;
    QTreeWidget *m_list;
    QTimer m_throttle;
    bool m_dirty = false;
    QString m_error;
};
