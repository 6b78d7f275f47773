// HttpApi: the reference article's REST API, served by CacheLab itself.
//
// Every route goes through ProductService, so each request shows up in the
// dashboard's trace panel as it happens. Handlers never block: they take the
// QHttpServerResponder and answer from the service callback (no nested event
// loop). Not a QFuture/QPromise: Qt 6.4's QHttpServer continuation crashed
// (SIGSEGV in QFutureInterfaceBase::reportStarted) when the promise resolved.
// Off unless listen() is called.
#pragma once

#include <QHostAddress>
#include <QObject>
#include <QString>
#include <memory>

class ProductService;
class QHttpServer;
class ViewStats;

class HttpApi final : public QObject
{
    Q_OBJECT

public:
    /// Request bodies larger than this are refused with 413.
    static constexpr qsizetype MaxBodyBytes = 1024 * 1024;

    /// The service is not owned and must outlive the API.
    explicit HttpApi(ProductService *service, QObject *parent = nullptr);
    ~HttpApi() override;

    /// Starts serving. port 0 picks a free port (see port()). On failure
    /// returns false and sets *error to a sentence naming address and port.
    bool listen(const QHostAddress &address, quint16 port, QString *error = nullptr);
    /// The port actually listened on, 0 when not listening.
    quint16 port() const { return m_port; }
    QHostAddress address() const { return m_address; }

private:
    void setupRoutes();

    ProductService *m_service = nullptr;
    ViewStats *m_viewStats = nullptr; ///< reads the most-viewed leaderboard (child)
    std::unique_ptr<QHttpServer> m_server;
    QHostAddress m_address;
    quint16 m_port = 0;
};
