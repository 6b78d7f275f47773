// ViewStats: the read side of the view counters the service keeps.
//
// Every get records its view (batched, see ViewRecorder):
// ZINCRBY on the "most viewed" sorted set and PFADD of the viewer's session
// id on the product's HyperLogLog. This class reads them back: the top N
// with ZREVRANGE ... WITHSCORES, then every product's PFCOUNT in one
// pipelined round trip. A HyperLogLog counts distinct viewers in at most
// 12 KB per product with a standard error of 0.81%, so the figure is an
// estimate, which the panel says.
#pragma once

#include <functional>
#include <QList>
#include <QObject>
#include <QString>

class ProductService;

struct ViewCount final
{
    qint64 id = 0;
    qint64 views = 0;
    qint64 uniqueViewers = 0; ///< PFCOUNT estimate
};

class ViewStats final : public QObject
{
    Q_OBJECT

public:
    using TopCallback = std::function<void(const QList<ViewCount> &top, const QString &error)>;

    explicit ViewStats(ProductService *service, QObject *parent = nullptr);

    /// The n most viewed products, most viewed first (ties by id). The
    /// error is set (and the list empty) when Redis cannot answer.
    void top(int n, QObject *context, TopCallback done);
    /// PFCOUNT of one product's viewers; -1 with an error when Redis cannot answer.
    void uniqueViewers(qint64 id, QObject *context, std::function<void(qint64 count, const QString &error)> done);

private:
    ProductService *m_service;
};
