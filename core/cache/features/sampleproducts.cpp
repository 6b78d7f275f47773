#include "sampleproducts.h"

#include "demoproducts.h"
#include "productservice.h"
#include "serviceresult.h"

SampleProducts::SampleProducts(ProductService *service, int count, QObject *parent)
    : QObject(parent)
    , m_service(service)
    , m_total(std::max(0, count))
{
}

void SampleProducts::start()
{
    if (m_total == 0 || !m_service) {
        finish(m_service ? QString() : tr("not connected"));
        return;
    }
    while (m_inFlight < InFlight && m_started < m_total)
        startNext();
}

void SampleProducts::startNext()
{
    static const QList<DemoProduct> demo = DemoProducts::all();
    const int n = m_started++;
    const DemoProduct &base = demo.at(n % demo.size());
    // Names stay unique and readable; prices vary around the demo price.
    const QString name = tr("%1, sample %2").arg(base.name).arg(n + 1);
    const qint64 price = base.price + (qint64(n) * 37) % 500;
    ++m_inFlight;
    m_service->create(name, price, this, [this](const ServiceResult &r) {
        --m_inFlight;
        if (r.ok()) {
            ++m_created;
            emit progress(m_created, m_total);
        } else if (m_error.isEmpty()) {
            m_error = r.error;
        }
        if (m_error.isEmpty() && m_started < m_total && m_service)
            startNext();
        else if (m_inFlight == 0)
            finish(m_error);
    });
}

void SampleProducts::finish(const QString &error)
{
    if (m_finished)
        return;
    m_finished = true;
    emit finished(m_created, error);
    deleteLater();
}
