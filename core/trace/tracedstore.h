// TracedStore: a SQLite call (through ProductRepository) that times itself
// and writes its trace step.
//
// The call runs on the database thread; the step shows the SQL the store
// reports it ran (or a short description), its outcome and the error.
#pragma once

#include "operation.h"
#include "productrepository.h"
#include "storeresult.h"

#include <functional>
#include <QObject>

class TracedStore final : public QObject
{
    Q_OBJECT

public:
    using StoreCall = std::function<void(ProductRepository &, QObject *, StoreCallback)>;
    /// Nothing is owned. `reads` / `writes` (may be null) count the calls.
    TracedStore(ProductRepository *repository, quint64 *reads, quint64 *writes, QObject *parent = nullptr);

    ProductRepository *repository() const { return m_repository; }

    void call(const OperationPtr &op, bool write, const QString &what, const StoreCall &call,
        std::function<void(const StoreResult &)> then);
    /// SELECT one product / every product, with their steps.
    void get(const OperationPtr &op, qint64 id, std::function<void(const StoreResult &)> then);
    void list(const OperationPtr &op, std::function<void(const StoreResult &)> then);

    static TraceOutcome outcome(const StoreResult &r);

private:
    ProductRepository *m_repository;
    quint64 *m_reads;
    quint64 *m_writes;
};
