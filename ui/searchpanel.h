// SearchPanel: product search as you type.
//
// Typing restarts a short timer; when it fires, ProductSearch runs the
// query (RediSearch, or SQLite FTS5 with its results cached in Redis).
// Answers to older queries that arrive late are ignored, so the list
// always belongs to the text in the box. A label names the engine in use
// and whether the last answer came from the Redis result cache.
#pragma once

#include <QTimer>
#include <QWidget>

class ProductSearch;
class QLabel;
class QLineEdit;
class QListWidget;
struct CatalogResult;

class SearchPanel final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int DebounceMs = 250;

    /// search may be null (the panel then stays disabled).
    explicit SearchPanel(ProductSearch *search, QWidget *parent = nullptr);

    QLineEdit *searchBox() const { return m_box; }
    QListWidget *results() const { return m_results; }

signals:
    /// A result was double-clicked or activated with Enter.
    void productActivated(qint64 id);
    void message(const QString &text);

private:
    explicit SearchPanel(QWidget *parent);
    void attach(ProductSearch *search);
    void runSearch();
    void showEngine(const QString &name);
    void showResult(const CatalogResult &r);

    ProductSearch *m_search = nullptr;
    QLineEdit *m_box;
    QListWidget *m_results;
    QLabel *m_engine;
    QLabel *m_status;
    QTimer m_debounce;
    quint64 m_sequence = 0; ///< the latest query sent; older answers are dropped
};
