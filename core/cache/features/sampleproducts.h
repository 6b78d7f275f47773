// SampleProducts: adds a batch of products through the service, the way a
// person would one by one (each a traced create under the current strategy),
// so a lesson has enough data to fill a small cache. A few creates are in
// flight at once; the first failure stops the rest.
#pragma once

#include <QObject>
#include <QPointer>

class ProductService;

class SampleProducts final : public QObject
{
    Q_OBJECT

public:
    static constexpr int InFlight = 8;

    SampleProducts(ProductService *service, int count, QObject *parent = nullptr);

    /// Starts the creates; finished() follows (also for count 0).
    void start();
    int created() const { return m_created; }

signals:
    void progress(int created, int total);
    /// error is empty when all were created. The object deletes itself later.
    void finished(int created, const QString &error);

private:
    void startNext();
    void finish(const QString &error);

    QPointer<ProductService> m_service;
    int m_total;
    int m_started = 0;
    int m_created = 0;
    int m_inFlight = 0;
    QString m_error;
    bool m_finished = false;
};
