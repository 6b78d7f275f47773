// EditorPanel: form, validation at the field, service calls with a result line.
#include "editorpanel.h"

#include "backend.h"
#include "productservice.h"
#include "productstablemodel.h"

#include <QFormLayout>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace {

QLabel *errorLabel(const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setProperty("fieldError", true);
    label->setWordWrap(true);
    label->hide();
    return label;
}

} // namespace

EditorPanel::EditorPanel(QWidget *parent)
    : QWidget(parent)
    , m_id(new QLineEdit(this))
    , m_name(new QLineEdit(this))
    , m_price(new QLineEdit(this))
    , m_version(new QLabel(this))
    , m_idError(errorLabel(QStringLiteral("idError"), this))
    , m_nameError(errorLabel(QStringLiteral("nameError"), this))
    , m_priceError(errorLabel(QStringLiteral("priceError"), this))
    , m_result(new QLabel(this))
{
    m_id->setObjectName(QStringLiteral("editorId"));
    m_id->setPlaceholderText(tr("new product"));
    m_id->setClearButtonEnabled(true);
    m_name->setObjectName(QStringLiteral("editorName"));
    m_name->setPlaceholderText(tr("e.g. Espresso beans 1 kg"));
    m_price->setObjectName(QStringLiteral("editorPrice"));
    m_price->setPlaceholderText(tr("whole cents, e.g. 1299"));
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
    form->addRow(QString(), m_idError);
    form->addRow(label(tr("&Name:"), m_name), m_name);
    form->addRow(QString(), m_nameError);
    form->addRow(label(tr("&Price:"), m_price), m_price);
    form->addRow(QString(), m_priceError);

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
    grid->addWidget(button(QStringLiteral("invalidateButton"), tr("&Invalidate"), tr("Drop product:{id} from Redis"),
                        Action::Invalidate),
        1, 1);
    auto *del = button(QStringLiteral("deleteButton"), tr("&Delete"), tr("Delete the product"), Action::Delete);
    del->setIcon(style()->standardIcon(QStyle::SP_TrashIcon));
    grid->addWidget(del, 1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->addLayout(form);
    layout->addLayout(grid);
    layout->addWidget(m_result);
    layout->addStretch(1);

    for (QLineEdit *field : { m_id, m_name, m_price })
        connect(field, &QLineEdit::textEdited, this, &EditorPanel::clearErrors);
    connect(m_price, &QLineEdit::returnPressed, this,
        [this] { run(m_id->text().trimmed().isEmpty() ? Action::Create : Action::Update); });
    setEnabled(false);
}

void EditorPanel::attach(Backend *backend)
{
    m_backend = backend;
    setEnabled(true);
}

void EditorPanel::showProduct(const Product &product)
{
    clearErrors();
    m_id->setText(QString::number(product.id));
    m_name->setText(product.name);
    m_price->setText(QString::number(product.price));
    m_loadedVersion = product.version;
    m_version->setText(tr("v%1").arg(product.version));
}

void EditorPanel::clearFields()
{
    clearErrors();
    m_id->clear();
    m_name->clear();
    m_price->clear();
    m_version->clear();
    m_loadedVersion = 0;
    m_name->setFocus();
}

void EditorPanel::setError(QLabel *label, QLineEdit *field, const QString &text)
{
    label->setText(text);
    label->setVisible(!text.isEmpty());
    field->setProperty("invalid", !text.isEmpty());
    field->setStyleSheet(text.isEmpty()
            ? QString()
            : QStringLiteral("QLineEdit { border: 1px solid %1; border-radius: 3px; padding: 2px; }")
                  .arg(label->palette().color(QPalette::WindowText).name()));
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
    errors << ProductValidator::parsePrice(m_price->text().trimmed(), price);
    if (!errors.isEmpty()) {
        showErrors(errors);
        return false;
    }
    return true;
}

void EditorPanel::run(Action action)
{
    if (!m_backend || !m_backend->service())
        return;
    clearErrors();
    ProductService *service = m_backend->service();
    qint64 id = 0;
    QString name;
    qint64 price = 0;
    if (action != Action::Create && !readId(&id))
        return;
    if ((action == Action::Create || action == Action::Update || action == Action::UpdateTx)
        && !readFields(&name, &price))
        return;

    m_result->setText(tr("Working…"));
    const auto done = [this, action](const ServiceResult &r) {
        static const char *const names[] = { "Create", "Save", "Save in transaction", "Delete", "Get", "Invalidate" };
        showResult(tr(names[int(action)]), r);
        if (r.ok() && r.product && action != Action::Delete)
            showProduct(*r.product);
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
    const QString time = r.trace.totalMicros >= 1000 ? tr("%1 ms").arg(double(r.trace.totalMicros) / 1000.0, 0, 'f', 1)
                                                     : tr("%1 µs").arg(r.trace.totalMicros);
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
    m_result->setText(text);
    emit message(text);
}
