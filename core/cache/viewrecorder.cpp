// ViewRecorder: batches views into one MULTI per few milliseconds.
#include "viewrecorder.h"

#include "cachebackend.h"

ViewRecorder::ViewRecorder(CacheBackend &backend, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(BatchMs);
    connect(&m_timer, &QTimer::timeout, this, &ViewRecorder::flush);
}

void ViewRecorder::record(const OperationPtr &op, qint64 id)
{
    if (!m_backend.settings().trackRecent || !m_backend.cacheUp())
        return;
    const QByteArray viewer = op ? op->viewer : QByteArray();
    if (op && viewer.isEmpty())
        return; // an internal read (adjust-price) is not a view
    m_views.append({ id, viewer });
    // The caller gets its answer now; the view reaches Redis with the other
    // views of the next few milliseconds in one MULTI, so a burst of gets
    // costs one extra round trip in total instead of one each.
    if (op && !op->isFinished()) {
        // This runs on every cache hit, and the text only depends on the id
        // and the key prefix: keep the recent ones (per thread, per prefix)
        // instead of formatting the same string again. The detail never changes.
        static const QString detail
            = QStringLiteral("sent with the views of the next %1 ms in one MULTI").arg(BatchMs);
        struct TextCache
        {
            QByteArray recentKey;
            QHash<qint64, QString> texts;
        };
        thread_local TextCache cache;
        const QByteArray recentKey = m_backend.keys().recent();
        if (cache.recentKey != recentKey || cache.texts.size() >= 1024) {
            cache.recentKey = recentKey;
            cache.texts.clear();
        }
        QString &text = cache.texts[id];
        if (text.isEmpty()) {
            text = QStringLiteral("view of ") + QString::number(id) + QStringLiteral(" batched: LREM/LPUSH/LTRIM ")
                + QString::fromUtf8(recentKey) + QStringLiteral(", ZINCRBY ") + QString::fromUtf8(m_backend.keys().views())
                + QStringLiteral(", PFADD ") + QString::fromUtf8(m_backend.keys().viewers(id));
        }
        op->step(TraceSystem::Redis, text, TraceOutcome::Ok, 0, detail);
    }
    if (m_views.size() >= BatchMax)
        flush();
    else if (!m_timer.isActive())
        m_timer.start();
}

QList<RedisCommand> ViewRecorder::commands(const QList<View> &views) const
{
    // Recent list: only the newest view of each id decides its place, so
    // replaying the batch oldest-first with LREM+LPUSH for each id's last
    // view gives the same list as one transaction per view.
    // The order is that of each id's last view, found with one hash pass
    // (a batch holds up to BatchMax views).
    QHash<qint64, qsizetype> last;
    QHash<qint64, qint64> counts;
    QHash<qint64, QList<QByteArray>> viewers;
    last.reserve(64);
    for (qsizetype i = 0; i < views.size(); ++i) {
        const View &v = views.at(i);
        last.insert(v.id, i);
        ++counts[v.id];
        QList<QByteArray> &who = viewers[v.id];
        if (!v.viewer.isEmpty() && !who.contains(v.viewer))
            who.append(v.viewer);
    }
    QList<qint64> order;
    order.reserve(last.size());
    for (qsizetype i = 0; i < views.size(); ++i) {
        if (last.value(views.at(i).id) == i)
            order.append(views.at(i).id);
    }
    const QByteArray recent = m_backend.keys().recent();
    const QByteArray viewsKey = m_backend.keys().views();
    // The list keeps recentLimit ids, so only the last recentLimit ids of the
    // batch can be in it afterwards: the LPUSHes of those alone already fill
    // it, pushing every older entry (and any older id of the batch) past the
    // LTRIM. A burst of misses over many ids then sends 2 commands per id
    // here instead of 4, and the list ends up the same.
    const qsizetype listed = std::min<qsizetype>(order.size(), std::max(1, m_backend.settings().recentLimit));
    QList<RedisCommand> cmds;
    cmds.reserve(listed * 2 + order.size() * 2 + 1);
    for (qsizetype i = order.size() - listed; i < order.size(); ++i) {
        const QByteArray value = QByteArray::number(order.at(i));
        cmds.append({ QByteArrayLiteral("LREM"), recent, QByteArrayLiteral("0"), value });
        cmds.append({ QByteArrayLiteral("LPUSH"), recent, value });
    }
    cmds.append(
        { QByteArrayLiteral("LTRIM"), recent, QByteArrayLiteral("0"), QByteArray::number(m_backend.settings().recentLimit - 1) });
    for (qint64 id : std::as_const(order)) {
        cmds.append(
            { QByteArrayLiteral("ZINCRBY"), viewsKey, QByteArray::number(counts.value(id)), QByteArray::number(id) });
        const QList<QByteArray> &who = viewers[id];
        if (!who.isEmpty())
            cmds.append(RedisCommand { QByteArrayLiteral("PFADD"), m_backend.keys().viewers(id) } + who);
    }
    return cmds;
}

void ViewRecorder::flush()
{
    m_timer.stop();
    if (m_views.isEmpty())
        return;
    const QList<View> views = std::exchange(m_views, {});
    if (!m_backend.cacheUp())
        return; // views are best effort: a lost batch only shortens the lists
    const QList<RedisCommand> cmds = commands(views);
    m_backend.tracedRedis().transaction(nullptr, cmds, {}, [](const RedisReply &r) {
        // A lost connection is reported by the connection itself; a server
        // error here would be a bug worth seeing in the log.
        if (r.isError() && !r.isClientError())
            qWarning("ViewRecorder: view batch failed: %s", qPrintable(r.errorMessage()));
    });
}

void ViewRecorder::forget(qint64 id)
{
    // Views still waiting in the batch would put the id back right after.
    m_views.removeIf([id](const View &v) { return v.id == id; });
    if (!m_backend.cacheUp())
        return;
    m_backend.tracedRedis().pipeline(nullptr,
        { { QByteArrayLiteral("ZREM"), m_backend.keys().views(), QByteArray::number(id) },
            { QByteArrayLiteral("DEL"), m_backend.keys().viewers(id) },
            { QByteArrayLiteral("LREM"), m_backend.keys().recent(), QByteArrayLiteral("0"), QByteArray::number(id) } },
        {}, {});
}

