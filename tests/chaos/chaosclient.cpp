// ChaosClient: the workload mix and how each answer is recorded.
#include "chaosclient.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>

#include <thread>

namespace {

QRandomGenerator clientRng(quint32 runSeed, int index)
{
    const quint32 seeds[] = { runSeed, 0xc11e47u, quint32(index) };
    return QRandomGenerator(seeds, 3);
}

QByteArray productBody(qint64 id, const QString &name, qint64 price)
{
    QJsonObject o { { QStringLiteral("name"), name }, { QStringLiteral("price"), price } };
    if (id > 0)
        o.insert(QStringLiteral("id"), id);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QString errorText(const QByteArray &body)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    const QString error = o.value(QLatin1String("error")).toString();
    return (error.isEmpty() ? QString::fromUtf8(body) : error).left(200);
}

} // namespace

ChaosClient::ChaosClient(
    int index, quint32 runSeed, const ChaosIds &ids, const ChaosPorts &ports, ChaosHistory &history)
    : m_index(index)
    , m_ids(ids)
    , m_ports(ports)
    , m_history(history)
    , m_rng(clientRng(runSeed, index))
{ }

void ChaosClient::run(const std::atomic<bool> &stop, qint64 untilMs)
{
    while (!stop.load() && m_history.now() < untilMs)
        perform(plan(m_rng, m_ids));
    for (ChaosHttp &http : m_http)
        http.close();
}

QByteArray ChaosClient::fingerprint(quint32 runSeed, int index, const ChaosIds &ids, int n)
{
    QRandomGenerator rng = clientRng(runSeed, index);
    QCryptographicHash digest(QCryptographicHash::Sha1);
    for (int i = 0; i < n; ++i) {
        const Planned p = plan(rng, ids);
        const qint64 fields[] = { qint64(p.kind), p.id, p.price };
        digest.addData(QByteArrayView(reinterpret_cast<const char *>(fields), sizeof fields));
    }
    return digest.result();
}

ChaosClient::Planned ChaosClient::plan(QRandomGenerator &rng, const ChaosIds &ids)
{
    // Percentages of the mix; every draw is made whatever the row, so each
    // operation takes the same share of the sequence.
    const int r = int(rng.bounded(100));
    const qint64 fixed = ids.fixedFirst + qint64(rng.bounded(quint32(ids.fixedLast - ids.fixedFirst + 1)));
    const qint64 deletable
        = ids.deletableFirst + qint64(rng.bounded(quint32(ids.deletableLast - ids.deletableFirst + 1)));
    const qint64 price = qint64(rng.bounded(100000));
    if (r < 28)
        return { OpKind::Get, fixed, 0 };
    if (r < 48)
        return { OpKind::Update, fixed, price };
    if (r < 55)
        return { OpKind::Upsert, fixed, price };
    if (r < 63)
        return { OpKind::Invalidate, fixed, 0 };
    if (r < 67)
        return { OpKind::Create, 0, price };
    if (r < 74)
        return { OpKind::Delete, deletable, 0 };
    if (r < 81)
        return { OpKind::Upsert, deletable, price };
    if (r < 88)
        return { OpKind::Get, deletable, 0 };
    if (r < 94)
        return { OpKind::Update, deletable, price };
    return { OpKind::Invalidate, deletable, 0 };
}

void ChaosClient::perform(const Planned &planned)
{
    ChaosOp op;
    op.kind = planned.kind;
    op.client = m_index;
    op.seq = m_seq++;
    op.instance = (m_index + op.seq) % 2;
    op.id = planned.id;
    if (op.writesProduct()) {
        op.name = QStringLiteral("c%1-%2").arg(m_index).arg(op.seq);
        op.price = planned.price;
    }

    QByteArray method;
    QByteArray path;
    QByteArray body;
    const QByteArray id = QByteArray::number(op.id);
    switch (op.kind) {
    case OpKind::Get:
        method = "GET";
        path = "/product/" + id;
        break;
    case OpKind::Update:
        method = "PUT";
        path = "/product/" + id;
        body = productBody(0, op.name, op.price);
        break;
    case OpKind::Upsert:
        method = "POST";
        path = "/product";
        body = productBody(op.id, op.name, op.price);
        break;
    case OpKind::Create:
        method = "POST";
        path = "/product";
        body = productBody(0, op.name, op.price);
        break;
    case OpKind::Delete:
        method = "DELETE";
        path = "/product/" + id;
        break;
    case OpKind::Invalidate:
        method = "POST";
        path = "/product/invalidate/" + id;
        break;
    }

    const quint16 port = m_ports[size_t(op.instance)].load();
    op.sentMs = m_history.now();
    const HttpAnswer answer = port == 0
        ? HttpAnswer { HttpAnswer::Transport::Refused, 0, {}, QStringLiteral("instance down") }
        : m_http[size_t(op.instance)].request(port, method, path, body, RequestTimeoutMs);
    op.doneMs = m_history.now();

    switch (answer.transport) {
    case HttpAnswer::Transport::Refused:
        op.outcome = ChaosOp::Outcome::Refused;
        op.detail = answer.error;
        break;
    case HttpAnswer::Transport::Broken:
        op.outcome = ChaosOp::Outcome::Unknown;
        op.detail = answer.error;
        break;
    case HttpAnswer::Transport::Ok:
        op.status = answer.status;
        if (answer.status < 200 || answer.status > 299) {
            op.outcome = ChaosOp::Outcome::Rejected;
            op.detail = errorText(answer.body);
            break;
        }
        op.outcome = ChaosOp::Outcome::Acked;
        if (op.writesProduct()) {
            const QJsonObject product
                = QJsonDocument::fromJson(answer.body).object().value(QLatin1String("product")).toObject();
            op.ackId = product.value(QLatin1String("id")).toInteger();
            op.ackVersion = product.value(QLatin1String("version")).toInteger();
            op.ackName = product.value(QLatin1String("name")).toString();
            op.ackPrice = product.value(QLatin1String("price")).toInteger(-1);
            if (op.ackId <= 0)
                op.detail = QStringLiteral("answer without a product: ") + QString::fromUtf8(answer.body.left(200));
        }
        break;
    }
    m_history.addOp(op);

    // A down instance refuses at once; do not spin on it.
    if (op.outcome == ChaosOp::Outcome::Refused)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}
