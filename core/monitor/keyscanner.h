// KeyScanner: walks a Redis keyspace with SCAN in the background.
//
// Uses its own RedisClient connection so a scan of a million keys never
// queues in front of the service's cache commands. scan() issues
// SCAN cursor MATCH pattern COUNT 1000 one reply at a time (each reply
// triggers the next request), so the GUI thread only ever handles one small
// batch per event-loop turn and the view fills progressively. Details
// (TYPE, PTTL, MEMORY USAGE) and value previews are fetched only for the
// keys a view asks about, in one pipelined write per batch.
#pragma once

#include "keydetails.h"
#include "redisurl.h"

#include <QObject>
#include <QPair>
#include <QStringList>

class RedisClient;

/// A bounded rendering of one key's value for the preview pane.
struct KeyValuePreview final
{
    QByteArray key;
    QByteArray type;
    QList<QPair<QString, QString>> rows; ///< field/index/score -> value
    qint64 totalItems = -1; ///< HLEN/LLEN/SCARD/ZCARD/XLEN/STRLEN
    QString error;
};

class KeyScanner final : public QObject
{
    Q_OBJECT

public:
    static constexpr int ScanCount = 1000;
    static constexpr int PreviewItems = 100;
    static constexpr int PreviewBytes = 4096; ///< a string preview is its first bytes (GETRANGE)

    explicit KeyScanner(const RedisUrl &url, QObject *parent = nullptr);
    ~KeyScanner() override;

    /// Connects the scanner's own connection; returns at once.
    void connectToServer();
    bool isConnected() const;
    RedisClient *client() const { return m_client; }

    /// Starts a fresh scan (cancelling one in progress).
    void scan(const QByteArray &pattern);
    void cancel();
    bool isScanning() const { return m_scanning; }
    QByteArray pattern() const { return m_pattern; }
    qint64 keysSeen() const { return m_seen; }

    /// TYPE + PTTL + MEMORY USAGE of each key, pipelined; answers with detailsReady().
    void fetchDetails(const QList<QByteArray> &keys);
    /// A bounded preview of the value; answers with previewReady().
    void fetchPreview(const QByteArray &key);

signals:
    void connected();
    void scanStarted(const QByteArray &pattern, qint64 dbSize);
    void keysFound(const QList<QByteArray> &keys);
    /// seen: keys returned so far; dbSize: DBSIZE at the start (an estimate of the total).
    void progress(qint64 seen, qint64 dbSize);
    void scanFinished(qint64 seen);
    void detailsReady(const QList<KeyDetails> &details);
    void detailsFailed(const QList<QByteArray> &keys, const QString &error);
    void previewReady(const KeyValuePreview &preview);
    void errorOccurred(const QString &message);

private:
    void next(quint64 generation, const QByteArray &cursor);
    void previewOfType(const QByteArray &key, const QByteArray &type);

    RedisClient *m_client = nullptr;
    QByteArray m_pattern = QByteArrayLiteral("*");
    quint64 m_generation = 0;
    bool m_scanning = false;
    qint64 m_seen = 0;
    qint64 m_dbSize = 0;
    bool m_memoryUsageSupported = true;
};

Q_DECLARE_METATYPE(KeyValuePreview)
