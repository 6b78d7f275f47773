// SearchPanel: debounced search box, results list, engine and cache label.
#include "searchpanel.h"

#include "pricetext.h"
#include "productsearch.h"

#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QVBoxLayout>

SearchPanel::SearchPanel(ProductSearch *search, QWidget *parent)
    : SearchPanel(parent)
{
    attach(search);
}

SearchPanel::SearchPanel(QWidget *parent)
    : QWidget(parent)
    , m_box(new QLineEdit(this))
    , m_results(new QListWidget(this))
    , m_engine(new QLabel(this))
    , m_status(new QLabel(this))
{
    m_box->setObjectName(QStringLiteral("searchBox"));
    m_box->setPlaceholderText(tr("Search product names…"));
    m_box->setClearButtonEnabled(true);
    m_results->setObjectName(QStringLiteral("searchResults"));
    m_results->setToolTip(tr("Double-click to open the product in the editor"));
    m_engine->setObjectName(QStringLiteral("searchEngine"));
    m_engine->setWordWrap(true);
    m_status->setObjectName(QStringLiteral("searchStatus"));
    m_status->setWordWrap(true);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->addWidget(m_box);
    layout->addWidget(m_engine);
    layout->addWidget(m_results, 1);
    layout->addWidget(m_status);

    m_debounce.setSingleShot(true);
    m_debounce.setInterval(DebounceMs);
    connect(&m_debounce, &QTimer::timeout, this, &SearchPanel::runSearch);
    connect(m_box, &QLineEdit::textChanged, this, [this] { m_debounce.start(); });
    connect(m_box, &QLineEdit::returnPressed, this, [this] {
        m_debounce.stop();
        runSearch();
    });
    connect(m_results, &QListWidget::itemActivated, this,
        [this](QListWidgetItem *item) { emit productActivated(item->data(Qt::UserRole).toLongLong()); });
    setEnabled(false);
}

void SearchPanel::attach(ProductSearch *search)
{
    m_search = search;
    setEnabled(search != nullptr);
    if (!search)
        return;
    connect(search, &ProductSearch::engineChanged, this, &SearchPanel::showEngine);
    showEngine(search->engineName());
}

void SearchPanel::showEngine(const QString &name)
{
    const QString how = name == QLatin1String("RediSearch")
        ? tr("FT.SEARCH on the cached product hashes")
        : tr("results cached in Redis per query, dropped on every product change");
    m_engine->setText(tr("Engine: <b>%1</b> — %2").arg(name.toHtmlEscaped(), how));
}

void SearchPanel::runSearch()
{
    ProductSearch *search = m_search;
    if (!search)
        return;
    const quint64 sequence = ++m_sequence;
    const QString text = m_box->text();
    if (text.trimmed().isEmpty()) {
        m_results->clear();
        m_status->clear();
        return;
    }
    m_status->setText(tr("Searching…"));
    search->search(text, this, [this, sequence](const CatalogResult &r) {
        if (sequence != m_sequence)
            return; // the text changed since; a newer answer is on its way
        showResult(r);
    });
}

void SearchPanel::showResult(const CatalogResult &r)
{
    m_results->clear();
    if (!r.ok()) {
        QString text = r.error;
        for (const FieldError &e : r.fieldErrors)
            text = e.message;
        m_status->setProperty("fieldError", true);
        m_status->setText(text);
        return;
    }
    m_status->setProperty("fieldError", false);
    for (const Product &p : r.products) {
        auto *item = new QListWidgetItem(tr("#%1  %2  (%3)").arg(p.id).arg(p.name, PriceText::format(p.price)), m_results);
        item->setData(Qt::UserRole, p.id);
    }
    const QString time = tr("%1 ms").arg(double(r.trace.totalMicros) / 1000.0, 0, 'f', 2); // one unit, always
    QString source;
    if (r.engine == QLatin1String("RediSearch"))
        source = tr("answered by RediSearch");
    else if (r.fromCache)
        source = tr("from the Redis result cache (hit)");
    else if (r.trace.hasStep(TraceOutcome::Unavailable))
        source = tr("from %1; Redis unavailable, not cached").arg(r.engine);
    else
        source = tr("from %1 (miss), now cached in Redis").arg(r.engine);
    m_status->setText(tr("%n result(s) %1 in %2", nullptr, int(r.products.size())).arg(source, time));
}
