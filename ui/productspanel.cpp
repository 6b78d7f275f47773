// ProductsPanel: the document's rows in a table, a summary line below.
#include "productspanel.h"

#include "fontfollow.h"
#include "productsdocument.h"
#include "productstablemodel.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

ProductsPanel::ProductsPanel(ProductsDocument *document, QWidget *parent)
    : QWidget(parent)
    , m_document(document)
    , m_model(new ProductsTableModel(document, this))
    , m_view(new QTableView(this))
    , m_summary(new QLabel(this))
{
    m_view->setObjectName(QStringLiteral("productsTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    FontFollow::follow(
        m_view, [this] { m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8); });
    m_view->horizontalHeader()->setSectionResizeMode(ProductsTableModel::NameColumn, QHeaderView::Stretch);
    m_view->horizontalHeader()->setSectionResizeMode(ProductsTableModel::IdColumn, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(ProductsTableModel::VersionColumn, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(ProductsTableModel::PriceColumn, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(ProductsTableModel::CacheColumn, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setHighlightSections(false);

    m_summary->setObjectName(QStringLiteral("productsSummary"));
    m_summary->setForegroundRole(QPalette::PlaceholderText);
    // The database path can be long; it must not set the dock column's width.
    m_summary->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(m_view);
    layout->addWidget(m_summary);

    connect(
        m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
            if (!current.isValid())
                return;
            const auto p = m_model->product(current.data(ProductsTableModel::ProductIdRole).toLongLong());
            if (p)
                emit productSelected(*p);
        });

    connect(document, &ProductsDocument::productsChanged, this, &ProductsPanel::showCount);
    connect(document, &ProductsDocument::loadFailed, this, &ProductsPanel::setSummary);
    if (document->isLoaded())
        showCount();
}

void ProductsPanel::showCount()
{
    setSummary(tr("%n product(s) in %1", nullptr, int(m_document->products().size())).arg(m_document->databasePath()));
}

void ProductsPanel::setSummary(const QString &text)
{
    m_summaryText = text;
    m_summary->setToolTip(text);
    elideSummary();
}

void ProductsPanel::elideSummary()
{
    m_summary->setText(
        m_summary->fontMetrics().elidedText(m_summaryText, Qt::ElideMiddle, std::max(0, m_summary->width())));
}

void ProductsPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    elideSummary();
}
