import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { organisationRule, type CompatibilityRule, type RuleSet } from '../../domain/compatibility/index.js';
import { requestContext } from '../../plugins/auth.js';
import { createdResponse, jsonResponse } from '../../shared/schemas.js';
import type { OwnRule, Waiver } from './compatibility.repository.js';
import { CompatibilityRuleDetailSchema, CompatibilityRulesSchema, DeclareRuleBody, RetireRuleBody, RuleIdParams, WaiveRuleBody, type CompatibilityRuleSchema } from './compatibility.schemas.js';
import { declareRule, getRule, getRulesOverview, liftRuleWaiver, retireRule, waiveRule, type NationalRule } from './compatibility.service.js';

/**
 * Who may change the rules: the Medical Device Safety Officer's role, which
 * already owns the clinical attributes of the catalogue the rules read. An
 * admin key administers access (organisations, keys), not clinical checks.
 */
const WRITERS = ['procurement'] as const;
/** Who may read them: also the theatre (why a finding was raised) and admins. */
const READERS = ['procurement', 'scanner', 'admin'] as const;

type RuleApi = z.input<typeof CompatibilityRuleSchema>;

const toWaiverApi = (w: Waiver) => ({
  id: w.id,
  ruleId: w.ruleId,
  reason: w.reason,
  waivedAt: w.waivedAt.toISOString(),
  waivedBy: w.waivedBy,
  liftedAt: w.liftedAt?.toISOString() ?? null,
  liftedBy: w.liftedBy,
});

/** What a rule compares: the parameters of its kind. */
function parametersOf(rule: CompatibilityRule) {
  switch (rule.kind) {
    case 'side':
      return {};
    case 'pair-equal':
      return { components: [...rule.components], attributes: [...rule.attributes] };
    case 'bearing':
      return { components: [...rule.components], pairs: rule.pairs.map((p) => [...p]) };
    case 'same-manufacturer':
      return { joint: rule.joint };
    case 'at-most':
      return { components: [...rule.components], max: rule.max };
  }
}

const base = (rule: CompatibilityRule) => ({ id: rule.id, kind: rule.kind, code: rule.code, severity: rule.severity, message: rule.message, ...parametersOf(rule) });

function toNationalApi(set: RuleSet, rule: CompatibilityRule, inForce: Waiver | undefined): RuleApi {
  return {
    ...base(rule),
    source: 'national',
    ruleSet: { name: set.name, version: set.version },
    state: inForce ? 'waived' : 'active',
    waiver: inForce ? toWaiverApi(inForce) : null,
    created: null,
    retired: null,
  };
}

function toOwnApi(own: OwnRule): RuleApi {
  return {
    ...base(organisationRule({ slug: own.slug, definition: own.definition })),
    source: 'organisation',
    ruleSet: null,
    state: own.retiredAt ? 'retired' : 'active',
    waiver: null,
    created: { at: own.createdAt.toISOString(), by: own.createdBy },
    retired: own.retiredAt && own.retiredBy && own.retireReason !== null ? { at: own.retiredAt.toISOString(), by: own.retiredBy, reason: own.retireReason } : null,
  };
}

const inForce = (waivers: readonly Waiver[], ruleId: string) => waivers.find((w) => w.ruleId === ruleId && w.liftedAt === null);
const nationalDetail = ({ set, rule }: NationalRule, waivers: readonly Waiver[]) => ({ ...toNationalApi(set, rule, inForce(waivers, rule.id)), waivers: waivers.map(toWaiverApi) });
const ownDetail = (own: OwnRule) => ({ ...toOwnApi(own), waivers: [] });

export const compatibilityRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/compatibility/rules',
    {
      config: { access: READERS },
      schema: {
        operationId: 'listCompatibilityRules',
        tags: ['compatibility'],
        summary: "The compatibility rules in force for the caller's organisation: the national sets, each rule with its state, and the organisation's own rules and waivers",
        description:
          "A scan is checked against the national rules the organisation has not waived, then its own rules in force. A national key sees the national sets, every rule active, and no organisation's rules.",
        response: { 200: jsonResponse('The national rule sets with their state for the organisation, its own rules and its waivers (history).', CompatibilityRulesSchema) },
      },
    },
    async (req) => {
      const overview = await getRulesOverview(app.db, requestContext(req));
      return {
        ruleSets: overview.ruleSets.map((set) => ({ name: set.name, version: set.version, rules: set.rules.map((rule) => toNationalApi(set, rule, inForce(overview.waivers, rule.id))) })),
        own: overview.own.map(toOwnApi),
        waivers: overview.waivers.map(toWaiverApi),
      };
    },
  );

  app.get(
    '/v1/compatibility/rules/:ruleId',
    {
      config: { access: READERS },
      schema: {
        operationId: 'getCompatibilityRule',
        tags: ['compatibility'],
        summary: "One rule, national or the organisation's own, with its state and (national) the organisation's waivers of it",
        params: RuleIdParams,
        response: { 200: jsonResponse('The rule.', CompatibilityRuleDetailSchema) },
      },
    },
    async (req) => {
      const detail = await getRule(app.db, requestContext(req), req.params.ruleId);
      return detail.source === 'national' ? nationalDetail(detail.national, detail.waivers) : ownDetail(detail.own);
    },
  );

  app.post(
    '/v1/compatibility/rules',
    {
      config: { access: WRITERS },
      schema: {
        operationId: 'declareCompatibilityRule',
        tags: ['compatibility'],
        summary: "Declare one of the organisation's own rules, checked at every scan after the national ones",
        description:
          'Its id is `org.<slug>`: it can never take or shadow a national rule\'s. Kinds: `pair-equal` (two components of one joint whose sizes or tapers must be equal), `bearing` (material pairs not recommended), `same-manufacturer` (one joint, one maker), `at-most` (how many of each component). The message may use the placeholders its kind fills. A rule never changes: retire it and declare another.',
        body: DeclareRuleBody,
        response: { 201: createdResponse('The rule, in force.', CompatibilityRuleDetailSchema) },
      },
    },
    async (req, reply) => {
      const { slug, ...definition } = req.body;
      const own = await declareRule(app.db, requestContext(req), { slug, definition });
      return reply.code(201).header('location', `${app.publicBaseUrl()}/v1/compatibility/rules/${own.ruleId}`).send(ownDetail(own));
    },
  );

  app.post(
    '/v1/compatibility/rules/:ruleId/retire',
    {
      config: { access: WRITERS },
      schema: {
        operationId: 'retireCompatibilityRule',
        tags: ['compatibility'],
        summary: "Retire one of the organisation's own rules, with a reason: later scans no longer check it",
        description: 'The rule stays readable (findings name it); its slug is never reused. A national rule is waived, not retired.',
        params: RuleIdParams,
        body: RetireRuleBody,
        response: { 200: jsonResponse('The rule, retired.', CompatibilityRuleDetailSchema) },
      },
    },
    async (req) => ownDetail(await retireRule(app.db, requestContext(req), req.params.ruleId, req.body.reason)),
  );

  app.post(
    '/v1/compatibility/rules/:ruleId/waiver',
    {
      config: { access: WRITERS },
      schema: {
        operationId: 'waiveCompatibilityRule',
        tags: ['compatibility'],
        summary: 'Switch a national rule off for the organisation, with the reason: later scans no longer check it',
        description: 'Recorded with who and when, and kept after it is lifted. At most one waiver of a rule is in force (409 COMPATIBILITY_RULE_WAIVED).',
        params: RuleIdParams,
        body: WaiveRuleBody,
        response: { 200: jsonResponse('The national rule, waived, with the waivers of it.', CompatibilityRuleDetailSchema) },
      },
    },
    async (req) => {
      const waived = await waiveRule(app.db, requestContext(req), req.params.ruleId, req.body.reason);
      return nationalDetail(waived, waived.waivers);
    },
  );

  app.delete(
    '/v1/compatibility/rules/:ruleId/waiver',
    {
      config: { access: WRITERS },
      schema: {
        operationId: 'liftCompatibilityRuleWaiver',
        tags: ['compatibility'],
        summary: 'Switch a waived national rule back on for the organisation',
        description: 'The waiver stays in the history, lifted (who and when).',
        params: RuleIdParams,
        response: { 200: jsonResponse('The national rule, checked again, with the waivers of it.', CompatibilityRuleDetailSchema) },
      },
    },
    async (req) => {
      const lifted = await liftRuleWaiver(app.db, requestContext(req), req.params.ruleId);
      return nationalDetail(lifted, lifted.waivers);
    },
  );
};
