// EditorPanel: create, update, delete, get and invalidate one product.
//
// Every action goes through ProductService under the current strategy, so
// its trace appears in the Trace panel. Input is checked with
// ProductValidator first: an error shows under the field it concerns and
// nothing is sent; errors the service reports are shown the same way.
//
// "Adjust by N" sits on the price row (ProductService::adjustPrice,
// optimistic retries shown). Below the buttons: one result line, then the
// product's tags (comma separated, saved with their own button through
// ProductTags, each shown as a chip that lists the products carrying it)
// and a combo of every tag in use. Kept short so the products table above
// it keeps its rows at 1280x800.
#pragma once

#include "product.h"
#include "productvalidator.h"

#include <QWidget>

class ProductService;
class ProductTags;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QDoubleSpinBox;
struct CatalogResult;
struct ServiceResult;

class EditorPanel final : public QWidget
{
    Q_OBJECT

public:
    /// tags may be null: the tag controls then stay empty.
    EditorPanel(ProductService *service, ProductTags *tags, QWidget *parent = nullptr);

    /// Fills the fields from a product (selection in the products table).
    /// causedBy: the trace id of the operation that produced it; the tags
    /// read that follows is nested under it in the trace.
    void showProduct(const Product &product, quint64 causedBy = 0);
    void clearFields();

signals:
    /// Something a person should see in the status bar.
    void message(const QString &text);

private:
    enum class Action { Create, Update, UpdateTx, Delete, Get, Invalidate };
    void run(Action action);
    bool readId(qint64 *id);
    bool readFields(QString *name, qint64 *price);
    void showErrors(const QList<FieldError> &errors);
    void clearErrors();
    void setError(QLabel *label, QLineEdit *field, const QString &text);
    void showResult(const QString &what, const ServiceResult &result);
    /// Shows text on the result line, in the result or the adjust label.
    void showLine(QLabel *line, const QString &text);
    // tags and adjust-price
    void loadTags(qint64 id, quint64 causedBy = 0);
    void saveTags();
    void showTagChips(const QStringList &tags);
    void showTagged(const QString &tag);
    void refreshAllTags();
    void adjustPrice();

    ProductService *m_service;
    ProductTags *m_productTags;
    QLineEdit *m_id;
    QLineEdit *m_name;
    QLineEdit *m_price;
    QLabel *m_version;
    QLabel *m_idError;
    QLabel *m_nameError;
    QLabel *m_priceError;
    QLabel *m_result;
    QLineEdit *m_tags;
    QLabel *m_tagsError;
    QHBoxLayout *m_chips;
    QComboBox *m_allTags;
    QLabel *m_taggedLabel;
    QListWidget *m_tagged;
    QDoubleSpinBox *m_delta;
    QLabel *m_adjustResult;
    qint64 m_loadedVersion = 0;
    qint64 m_loadedId = 0; ///< the product whose tags are shown
    QList<QPushButton *> m_buttons;
    quint64 m_taggedRequest = 0;
};
