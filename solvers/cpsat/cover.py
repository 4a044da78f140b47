"""Hard rule H2 (cover) and the cost of cover: one available provider per closed practice,
the covered list sizes within each provider's capacity on that afternoon."""

from __future__ import annotations

from ortools.sat.python import cp_model

from .model import PltModel


def every_closed_practice_covered(m: PltModel) -> None:
    """Hard: each practice closing in a wave is covered by exactly one provider."""
    inst = m.instance
    providers = inst.scenario.cover_providers
    for event, wave in m.sessions():
        for practice in inst.scenario.practices:
            closes = m.in_wave[event, practice.id, wave]
            if inst.fixed_waves is not None:
                wave_of, provider = inst.fixed_waves[event, practice.id]
                if wave_of == wave:
                    m.covers[event, wave, practice.id, provider] = 1
                continue
            if len(providers) == 1:
                m.covers[event, wave, practice.id, providers[0].id] = closes
                continue
            options = []
            for provider in providers:
                if practice.list_size > provider.capacity:
                    continue
                var = m.model.new_bool_var(f"cover({practice.id},{event},w{wave})={provider.id}")
                m.covers[event, wave, practice.id, provider.id] = var
                options.append(var)
            m.model.add(sum(options) == closes)


def cover_over_capacity(m: PltModel) -> None:
    """Hard: covered list sizes within the provider's capacity, and only when it is available."""
    inst = m.instance
    for event, wave in m.sessions():
        for provider in inst.scenario.cover_providers:
            load = [p.list_size * m.covers[event, wave, p.id, provider.id]
                    for p in inst.scenario.practices if (event, wave, p.id, provider.id) in m.covers]
            available = m.available(event, wave, set(provider.unavailable))
            if not (isinstance(available, int) and all(isinstance(x, int) for x in load)):
                m.model.add(sum(load) <= provider.capacity * available)
            used = _provider_used(m, event, wave, provider.id)
            m.provider_used[event, wave, provider.id] = used


def _provider_used(m: PltModel, event: str, wave: int, provider: str) -> cp_model.LinearExpr:
    inst = m.instance
    covered = [m.covers[event, wave, p.id, provider] for p in inst.scenario.practices
               if (event, wave, p.id, provider) in m.covers]
    if len(inst.scenario.cover_providers) == 1:
        return m.active[event, wave]
    if inst.fixed_waves is not None:  # cover decided before modelling: constants
        return int(any(covered))
    used = m.model.new_bool_var(f"provider_used({provider},{event},w{wave})")
    for var in covered:
        m.model.add_implication(var, used)
    m.model.add(used <= sum(covered))
    return used


def cost_of_cover(m: PltModel) -> cp_model.LinearExpr:
    """Soft: each provider's fixed cost per afternoon it covers, plus its rate per 1,000 patients."""
    inst = m.instance
    providers = {c.id: c for c in inst.scenario.cover_providers}
    sizes = {p.id: p.list_size for p in inst.scenario.practices}
    terms = [providers[prov].cost_per_afternoon * used for (e, w, prov), used in m.provider_used.items()]
    terms += [providers[prov].cost_for(sizes[p]) * var
              for (e, w, p, prov), var in m.covers.items()]
    return sum(terms)
