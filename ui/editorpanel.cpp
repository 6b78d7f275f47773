// EditorPanel: form, validation at the field, service calls with a result line.
#include "editorpanel.h"

#include "elidedlabel.h"
#include "fontfollow.h"
#include "pricetext.h"
#include "productservice.h"
#include "productstablemodel.h"
#include "producttags.h"
#include "tagvalidator.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace {

// One line, cut with "…" when too long for the column (the tooltip has
// the whole message). The field errors share one line under the fields
// whose height is kept while it is empty, so a message appearing does not
// push the buttons below (a click meant for Create landed on Invalidate).
QLabel *errorLabel(const QString &objectName, QWidget *parent)
{
    auto *label = new ElidedLabel(parent);
    label->setObjectName(objectName);
    label->setProperty("fieldError", true);
    label->hide();
    return label;
}

} // namespace

EditorPanel::EditorPanel(ProductService *service, ProductTags *tags, QWidget *parent)
    : QWidget(parent)
    , m_service(service)
    , m_productTags(tags)
    , m_id(new QLineEdit(this))
    , m_name(new QLineEdit(this))
    , m_price(new QLineEdit(this))
    , m_version(new QLabel(this))
    , m_idError(errorLabel(QStringLiteral("idError"), this))
    , m_nameError(errorLabel(QStringLiteral("nameError"), this))
    , m_priceError(errorLabel(QStringLiteral("priceError"), this))
    , m_result(new QLabel(this))
    , m_tags(new QLineEdit(this))
    , m_tagsError(errorLabel(QStringLiteral("tagsError"), this))
    , m_chips(new QHBoxLayout)
    , m_allTags(new QComboBox(this))
    , m_taggedLabel(new QLabel(this))
    , m_tagged(new QListWidget(this))
    , m_delta(new QDoubleSpinBox(this))
    , m_adjustResult(new QLabel(this))
{
    m_id->setObjectName(QStringLiteral("editorId"));
    m_id->setPlaceholderText(tr("new product"));
    m_id->setClearButtonEnabled(true);
    m_name->setObjectName(QStringLiteral("editorName"));
    m_name->setPlaceholderText(tr("e.g. Espresso beans 1 kg"));
    m_price->setObjectName(QStringLiteral("editorPrice"));
    m_price->setPlaceholderText(tr("e.g. %1").arg(PriceText::format(1299)));
    m_price->setToolTip(tr("The price as the products table shows it, e.g. %1").arg(PriceText::format(1990)));
    m_version->setObjectName(QStringLiteral("editorVersion"));
    m_result->setObjectName(QStringLiteral("editorResult"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto *clear = new QPushButton(tr("New"), this);
    clear->setObjectName(QStringLiteral("newButton"));
    clear->setToolTip(tr("Clear the fields to enter a new product (Ctrl+N)"));
    clear->setShortcut(QKeySequence::New);
    connect(clear, &QPushButton::clicked, this, &EditorPanel::clearFields);
    auto *idRow = new QHBoxLayout;
    idRow->addWidget(m_id, 1);
    idRow->addWidget(m_version);
    idRow->addWidget(clear);
    const auto label = [this](const QString &text, QWidget *buddy) {
        auto *l = new QLabel(text, this);
        l->setBuddy(buddy);
        return l;
    };
    form->addRow(label(tr("&ID:"), m_id), idRow);
    form->addRow(label(tr("&Name:"), m_name), m_name);

    const auto button = [this](const QString &objectName, const QString &text, const QString &tip, Action action) {
        auto *b = new QPushButton(text, this);
        b->setObjectName(objectName);
        b->setToolTip(tip);
        connect(b, &QPushButton::clicked, this, [this, action] { run(action); });
        m_buttons << b;
        return b;
    };
    auto *grid = new QGridLayout;
    grid->setSpacing(4);
    grid->addWidget(button(QStringLiteral("getButton"), tr("&Get"), tr("Read the product through the current strategy"),
                        Action::Get),
        0, 0);
    grid->addWidget(
        button(QStringLiteral("createButton"), tr("C&reate"), tr("Insert a new product"), Action::Create), 0, 1);
    grid->addWidget(button(QStringLiteral("saveButton"), tr("&Save"),
                        tr("Update the product under the current strategy"), Action::Update),
        0, 2);
    grid->addWidget(button(QStringLiteral("saveTxButton"), tr("Save in &tx"),
                        tr("Update, then set the cached hash with WATCH/MULTI/EXEC"), Action::UpdateTx),
        1, 0);
    grid->addWidget(button(QStringLiteral("invalidateButton"), tr("Invalidate"), tr("Drop product:{id} from Redis"),
                        Action::Invalidate),
        1, 1);
    auto *del = button(QStringLiteral("deleteButton"), tr("&Delete"), tr("Delete the product"), Action::Delete);
    del->setIcon(style()->standardIcon(QStyle::SP_TrashIcon));
    grid->addWidget(del, 1, 2);

    // Adjust price: a relative change with optimistic concurrency. It sits
    // on the price row ("Adjust by [N]"), which keeps the editor short
    // enough for the products table to show most rows at 1280x800.
    m_delta->setObjectName(QStringLiteral("adjustDelta"));
    m_delta->setDecimals(2);
    m_delta->setRange(-10000000.0, 10000000.0);
    m_delta->setValue(1.0);
    m_delta->setToolTip(tr("Amount to add to the price, as prices are shown (negative to subtract)"));
    m_delta->setAccessibleName(tr("Adjust price by"));
    // The range allows eight digits; the usual deltas are short, so the box
    // stays narrow and leaves the price field its room.
    FontFollow::follow(m_delta, [this] {
        m_delta->setMaximumWidth(m_delta->fontMetrics().horizontalAdvance(QStringLiteral("-10000.00")) + 36);
    });
    auto *adjust = new QPushButton(tr("&Adjust by"), this);
    adjust->setObjectName(QStringLiteral("adjustButton"));
    adjust->setToolTip(tr("Add this amount to the price with WATCH/MULTI/EXEC or a version check, retrying on conflicts"));
    connect(adjust, &QPushButton::clicked, this, &EditorPanel::adjustPrice);
    m_buttons << adjust;
    m_adjustResult->setObjectName(QStringLiteral("adjustResult"));
    m_adjustResult->setWordWrap(true);
    m_adjustResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_adjustResult->hide(); // shares the result line with m_result
    auto *priceRow = new QHBoxLayout;
    priceRow->addWidget(m_price, 1);
    priceRow->addSpacing(6);
    priceRow->addWidget(adjust);
    priceRow->addWidget(m_delta);
    form->addRow(label(tr("&Price:"), m_price), priceRow);
    auto *errors = new QWidget(this);
    errors->setObjectName(QStringLiteral("fieldErrors"));
    auto *errorsRow = new QHBoxLayout(errors);
    errorsRow->setContentsMargins(0, 0, 0, 0);
    errorsRow->setSpacing(12);
    for (QLabel *e : { m_idError, m_nameError, m_priceError })
        errorsRow->addWidget(e, 1);
    FontFollow::follow(errors, [errors] { errors->setMinimumHeight(errors->fontMetrics().height()); });
    form->addRow(QString(), errors);

    // Tags: a form row (field and save), then the chips of this product with
    // the combo of every tag in use, then the products of one tag.
    m_tags->setObjectName(QStringLiteral("editorTags"));
    m_tags->setPlaceholderText(tr("comma separated, e.g. kitchen, sale"));
    m_tags->setToolTip(tr("Tags of this product, kept in SQLite and cached in Redis sets (tag:<name>)"));
    auto *saveTags = new QPushButton(tr("Save tags"), this);
    saveTags->setObjectName(QStringLiteral("saveTagsButton"));
    saveTags->setToolTip(tr("Write the tags to SQLite, then drop the affected tag sets from Redis"));
    connect(saveTags, &QPushButton::clicked, this, &EditorPanel::saveTags);
    connect(m_tags, &QLineEdit::returnPressed, this, &EditorPanel::saveTags);
    connect(m_tags, &QLineEdit::textEdited, this, [this] { setError(m_tagsError, m_tags, {}); });
    m_buttons << saveTags;
    auto *tagsRow = new QHBoxLayout;
    tagsRow->addWidget(m_tags, 1);
    tagsRow->addWidget(saveTags);
    m_chips->setSpacing(4);
    m_chips->addStretch(1);
    m_allTags->setObjectName(QStringLiteral("allTagsCombo"));
    m_allTags->setToolTip(tr("Every tag in use; pick one to list its products"));
    m_allTags->setPlaceholderText(tr("all tags…"));
    m_allTags->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_allTags->setMinimumContentsLength(10);
    connect(m_allTags, &QComboBox::activated, this, [this](int index) {
        const QString tag = m_allTags->itemData(index).toString();
        if (!tag.isEmpty())
            showTagged(tag);
    });
    m_taggedLabel->setObjectName(QStringLiteral("taggedLabel"));
    m_taggedLabel->setWordWrap(true);
    m_taggedLabel->hide();
    m_tagged->setObjectName(QStringLiteral("taggedProducts"));
    m_tagged->setMaximumHeight(110);
    m_tagged->hide(); // shown once a tag is picked: the editor stays compact
    m_tagged->setToolTip(tr("Double-click to load the product"));
    connect(m_tagged, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        m_id->setText(QString::number(item->data(Qt::UserRole).toLongLong()));
        run(Action::Get);
    });
    auto *chipsRow = new QHBoxLayout;
    chipsRow->addLayout(m_chips, 1);
    chipsRow->addWidget(m_allTags);

    // One line under the buttons for the last result, kept even when empty
    // so the tags below do not jump when a result arrives.
    FontFollow::follow(m_result, [this] {
        m_result->setMinimumHeight(m_result->fontMetrics().height());
        m_adjustResult->setMinimumHeight(m_adjustResult->fontMetrics().height());
    });

    // One form, so the tags line up with ID, name and price; the buttons
    // and the result line span both columns.
    form->addRow(grid);
    form->addRow(m_result);
    form->addRow(m_adjustResult);
    form->addRow(label(tr("Tags:"), m_tags), tagsRow);
    form->addRow(QString(), m_tagsError);
    form->addRow(QString(), chipsRow);
    form->addRow(QString(), m_taggedLabel);
    form->addRow(QString(), m_tagged);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addLayout(form);
    layout->addStretch(1);

    for (QLineEdit *field : { m_id, m_name, m_price })
        connect(field, &QLineEdit::textEdited, this, &EditorPanel::clearErrors);
    connect(m_price, &QLineEdit::returnPressed, this,
        [this] { run(m_id->text().trimmed().isEmpty() ? Action::Create : Action::Update); });
    if (tags) {
        connect(tags, &ProductTags::tagsChanged, this, &EditorPanel::refreshAllTags);
        refreshAllTags();
    }
}

void EditorPanel::showProduct(const Product &product, quint64 causedBy)
{
    clearErrors();
    m_id->setText(QString::number(product.id));
    m_name->setText(product.name);
    m_price->setText(PriceText::format(product.price));
    const bool other = m_loadedId != product.id;
    m_loadedId = product.id;
    m_loadedVersion = product.version;
    m_version->setText(tr("v%1").arg(product.version));
    if (other)
        loadTags(product.id, causedBy);
}

void EditorPanel::clearFields()
{
    clearErrors();
    m_id->clear();
    m_name->clear();
    m_price->clear();
    m_version->clear();
    m_loadedVersion = 0;
    m_loadedId = 0;
    m_tags->clear();
    setError(m_tagsError, m_tags, {});
    showTagChips({});
    m_name->setFocus();
}

void EditorPanel::setError(QLabel *label, QLineEdit *field, const QString &text)
{
    label->setText(text);
    label->setToolTip(text);
    label->setVisible(!text.isEmpty());
    field->setProperty("invalid", !text.isEmpty());
    field->setStyleSheet(text.isEmpty()
            ? QString()
            : QStringLiteral("QLineEdit { border: 1px solid %1; border-radius: 3px; padding: 2px; }")
                  .arg(label->palette().color(QPalette::WindowText).name()));
}

void EditorPanel::showLine(QLabel *line, const QString &text)
{
    // The price adjustment and the other actions report on the same line.
    QLabel *other = line == m_result ? m_adjustResult : m_result;
    other->hide();
    other->clear();
    line->setText(text);
    line->show();
}

void EditorPanel::clearErrors()
{
    setError(m_idError, m_id, {});
    setError(m_nameError, m_name, {});
    setError(m_priceError, m_price, {});
}

void EditorPanel::showErrors(const QList<FieldError> &errors)
{
    QString id, name, price;
    for (const FieldError &e : errors) {
        QString &target = e.field == QLatin1String("id") ? id : e.field == QLatin1String("name") ? name : price;
        target += (target.isEmpty() ? QString() : QStringLiteral(" ")) + e.message;
    }
    setError(m_idError, m_id, id);
    setError(m_nameError, m_name, name);
    setError(m_priceError, m_price, price);
    if (!id.isEmpty())
        m_id->setFocus();
    else if (!name.isEmpty())
        m_name->setFocus();
    else if (!price.isEmpty())
        m_price->setFocus();
}

bool EditorPanel::readId(qint64 *id)
{
    const QString text = m_id->text().trimmed();
    bool ok = false;
    *id = text.toLongLong(&ok);
    QList<FieldError> errors;
    if (text.isEmpty())
        errors << FieldError { QStringLiteral("id"),
            tr("Enter the id of an existing product (or pick a row in the table).") };
    else if (!ok)
        errors << FieldError { QStringLiteral("id"), tr("The id must be a whole number.") };
    else
        errors << ProductValidator::validateId(*id);
    if (!errors.isEmpty()) {
        showErrors(errors);
        return false;
    }
    return true;
}

bool EditorPanel::readFields(QString *name, qint64 *price)
{
    *name = m_name->text();
    QList<FieldError> errors = ProductValidator::validateName(*name);
    QString priceError;
    if (const auto cents = PriceText::parse(m_price->text(), &priceError))
        errors << ProductValidator::validatePrice(*price = *cents);
    else
        errors << FieldError { QStringLiteral("price"), priceError };
    if (!errors.isEmpty()) {
        showErrors(errors);
        return false;
    }
    return true;
}

void EditorPanel::run(Action action)
{
    if (!m_service)
        return;
    clearErrors();
    ProductService *service = m_service;
    qint64 id = 0;
    QString name;
    qint64 price = 0;
    if (action != Action::Create && !readId(&id))
        return;
    if ((action == Action::Create || action == Action::Update || action == Action::UpdateTx)
        && !readFields(&name, &price))
        return;

    showLine(m_result, tr("Working…"));
    const auto done = [this, action](const ServiceResult &r) {
        static const char *const names[] = { "Create", "Save", "Save in transaction", "Delete", "Get", "Invalidate" };
        showResult(tr(names[int(action)]), r);
        if (r.ok() && r.product && action != Action::Delete)
            showProduct(*r.product, r.trace.id);
        if (r.ok() && action == Action::Delete)
            clearFields();
    };
    switch (action) {
    case Action::Create:
        service->create(name, price, this, done);
        break;
    case Action::Update:
        service->update(id, name, price, 0, this, done);
        break;
    case Action::UpdateTx:
        service->updateInTransaction(id, name, price, 0, this, done);
        break;
    case Action::Delete:
        service->remove(id, this, done);
        break;
    case Action::Get:
        service->get(id, this, done);
        break;
    case Action::Invalidate:
        service->invalidate(id, this, done);
        break;
    }
}

void EditorPanel::showResult(const QString &what, const ServiceResult &r)
{
    // Always milliseconds: "829 µs" beside "1.2 ms" read as 829 ms.
    const QString time = tr("%1 ms").arg(double(r.trace.totalMicros) / 1000.0, 0, 'f', 2);
    QString text;
    switch (r.status) {
    case ServiceStatus::Ok:
        text = tr("%1: ok%2 in %3").arg(what, r.fromCache ? tr(" (from Redis)") : QString(), time);
        if (r.count > 0 && !r.product)
            text += tr(" — %n key(s)", nullptr, int(r.count));
        break;
    case ServiceStatus::NotFound:
        text = tr("%1: no product with that id.").arg(what);
        setError(m_idError, m_id, tr("No product has this id."));
        break;
    case ServiceStatus::Invalid:
        showErrors(r.fieldErrors);
        text = tr("%1: not saved, see the highlighted fields.").arg(what);
        break;
    default:
        text = tr("%1 failed: %2").arg(what, r.error);
        break;
    }
    for (const QString &w : r.warnings)
        text += QLatin1Char('\n') + w;
    showLine(m_result, text);
    emit message(text);
}

// --- tags --------------------------------------------------------------------------------------

void EditorPanel::loadTags(qint64 id, quint64 causedBy)
{
    ProductTags *tags = m_productTags;
    if (!tags || id <= 0)
        return;
    tags->tagsOf(id, this, [this, id](const CatalogResult &r) {
        if (id != m_loadedId)
            return; // another product was picked meanwhile
        if (!r.ok()) {
            setError(m_tagsError, m_tags, r.status == ServiceStatus::NotFound ? QString() : r.error);
            return;
        }
        m_tags->setText(r.tags.join(QStringLiteral(", ")));
        showTagChips(r.tags);
    }, causedBy);
}

void EditorPanel::saveTags()
{
    ProductTags *tags = m_productTags;
    if (!tags)
        return;
    setError(m_tagsError, m_tags, {});
    qint64 id = 0;
    if (!readId(&id))
        return;
    // Checked here first so the error shows at once and nothing is sent.
    QStringList list = TagValidator::splitTags(m_tags->text());
    if (const QList<FieldError> errors = TagValidator::validateTags(list); !errors.isEmpty()) {
        setError(m_tagsError, m_tags, ProductValidator::describe(errors).remove(QStringLiteral("tags: ")));
        m_tags->setFocus();
        return;
    }
    showLine(m_result, tr("Saving tags…"));
    tags->setTags(id, list, this, [this, id](const CatalogResult &r) {
        if (!r.ok()) {
            QString text = r.error;
            for (const FieldError &e : r.fieldErrors)
                text = e.message;
            if (r.status == ServiceStatus::NotFound)
                setError(m_idError, m_id, tr("No product has this id."));
            else
                setError(m_tagsError, m_tags, text);
            showLine(m_result, tr("Tags not saved: %1").arg(r.error));
            return;
        }
        m_loadedId = id;
        m_tags->setText(r.tags.join(QStringLiteral(", ")));
        showTagChips(r.tags);
        const QString text = r.tags.isEmpty()
            ? tr("Tags cleared for product %1.").arg(id)
            : tr("Tags saved for product %1: %2.").arg(id).arg(r.tags.join(QStringLiteral(", ")));
        showLine(m_result, text);
        emit message(text);
    });
}

void EditorPanel::showTagChips(const QStringList &tags)
{
    // Remove the old chips (everything but the trailing stretch).
    while (m_chips->count() > 1) {
        QLayoutItem *item = m_chips->takeAt(0);
        if (QWidget *w = item->widget())
            w->deleteLater();
        delete item;
    }
    int at = 0;
    for (const QString &tag : tags) {
        auto *chip = new QPushButton(tag, this);
        chip->setObjectName(QStringLiteral("tagChip_") + tag);
        chip->setFlat(true);
        chip->setCursor(Qt::PointingHandCursor);
        chip->setToolTip(tr("List the products tagged %1 (SMEMBERS tag:%1)").arg(tag));
        chip->setStyleSheet(QStringLiteral("QPushButton { border: 1px solid palette(mid); border-radius: 8px; "
                                           "padding: 1px 8px; }"));
        connect(chip, &QPushButton::clicked, this, [this, tag] { showTagged(tag); });
        m_chips->insertWidget(at++, chip);
    }
}

void EditorPanel::showTagged(const QString &tag)
{
    ProductTags *tags = m_productTags;
    if (!tags)
        return;
    m_taggedLabel->setText(tr("Loading products tagged \"%1\"…").arg(tag));
    m_taggedLabel->show();
    // Only the newest request may fill the list: an older miss answered
    // from SQLite can arrive after a newer hit.
    const quint64 request = ++m_taggedRequest;
    tags->productsWithTag(tag, this, [this, tag, request](const CatalogResult &r) {
        if (request != m_taggedRequest)
            return;
        m_tagged->clear();
        m_tagged->show();
        if (!r.ok()) {
            m_taggedLabel->setText(tr("Cannot list tag \"%1\": %2").arg(tag, r.error));
            return;
        }
        for (const Product &p : r.products) {
            auto *item = new QListWidgetItem(
                tr("#%1  %2  (%3)").arg(p.id).arg(p.name, ProductsTableModel::formatPrice(p.price)), m_tagged);
            item->setData(Qt::UserRole, p.id);
        }
        QString text = tr("Tagged \"%1\": %n product(s)", nullptr, int(r.products.size())).arg(tag);
        text += r.fromCache ? tr(" — from Redis (hit)") : tr(" — from SQLite (miss)");
        for (const QString &w : r.warnings)
            text += QLatin1Char(' ') + w;
        m_taggedLabel->setText(text);
    });
}

void EditorPanel::refreshAllTags()
{
    ProductTags *tags = m_productTags;
    if (!tags)
        return;
    tags->allTags(this, [this](const CatalogResult &r) {
        if (!r.ok())
            return;
        m_allTags->clear();
        for (const auto &[tag, count] : r.tagCounts)
            m_allTags->addItem(tr("%1 (%2)").arg(tag).arg(count), tag);
        m_allTags->setCurrentIndex(-1);
    });
}

// --- adjust price -------------------------------------------------------------------------------

void EditorPanel::adjustPrice()
{
    if (!m_service)
        return;
    clearErrors();
    qint64 id = 0;
    if (!readId(&id))
        return;
    const qint64 delta = qRound64(m_delta->value() * 100.0);
    showLine(m_adjustResult, tr("Adjusting…"));
    m_service->adjustPrice(id, delta, this, [this, delta](const ServiceResult &r) {
        QString text;
        if (r.ok()) {
            text = tr("Price %1%2: done after %n retries.", nullptr, r.retries)
                       .arg(delta >= 0 ? QStringLiteral("+") : QStringLiteral("-"))
                       .arg(PriceText::format(std::abs(delta)));
            if (r.product)
                showProduct(*r.product);
        } else if (r.status == ServiceStatus::NotFound) {
            setError(m_idError, m_id, tr("No product has this id."));
            text = tr("Adjust price: no product with that id.");
        } else {
            text = tr("Adjust price failed after %n retries: %1", nullptr, r.retries).arg(r.error);
            if (r.status == ServiceStatus::Invalid)
                showErrors(r.fieldErrors);
        }
        showLine(m_adjustResult, text);
        emit message(text);
    });
}
