// Scenario: shared evaluation helpers (see scenario.h).
#include "scenario.h"

#include <algorithm>

double Scenario::medianOf(QList<double> values)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const qsizetype mid = values.size() / 2;
    return values.size() % 2 ? values.at(mid) : (values.at(mid - 1) + values.at(mid)) / 2;
}

double Scenario::median(const QList<Sample> &samples)
{
    QList<double> values;
    for (const Sample &s : samples) {
        if (s.ok)
            values << s.value;
    }
    return medianOf(values);
}

double Scenario::addBound(Evaluation &e, const QList<Sample> &baseline, const QList<Sample> &cachelab,
    const QString &key, const QString &ratioField)
{
    QList<double> values;
    for (const Sample &s : cachelab) {
        if (s.ok && s.extra.contains(key))
            values << s.extra.value(key).toDouble();
    }
    const double bound = medianOf(values);
    const double base = median(baseline);
    const double ratio = base > 0 ? bound / base : 0;
    e.fields.insert(key, bound);
    e.fields.insert(ratioField, ratio);
    return ratio;
}

Evaluation Scenario::evaluate(const QList<Sample> &baseline, const QList<Sample> &cachelab) const
{
    Evaluation e;
    const double b = median(baseline);
    const double c = median(cachelab);
    e.ratio = b > 0 ? c / b : 0;
    const Goal g = goal();
    e.met = b > 0 && c > 0 && (g.direction == GoalDirection::AtLeast ? e.ratio >= g.ratio : e.ratio <= g.ratio);
    return e;
}
