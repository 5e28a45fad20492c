/**
 * Questions the infra tests ask of a synthesized template: resources by type, the IAM
 * statements a role holds, and intrinsic values rendered to plain strings.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

export function resources(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type) as Record<string, Resource>);
}

export function only(template: Template, type: string): [string, Resource] {
  const found = resources(template, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

/** The logical id of the resource whose construct path ends with `pathSuffix` (e.g. `Delivery/ImageHandler/Role`). */
export function logicalIdByPath(template: Template, type: string, pathSuffix: string): string {
  const matches = resources(template, type).filter(([, resource]) =>
    String(resource.Metadata?.['aws:cdk:path'] ?? '').endsWith(`${pathSuffix}/Resource`),
  );
  if (matches.length !== 1)
    throw new Error(`expected one ${type} at …/${pathSuffix}, found ${matches.length}`);
  return matches[0]![0];
}

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every identity-policy statement in the template (policies and inline role policies), with the roles that hold it. */
export function identityStatements(
  template: Template,
): Array<{ roles: string[]; statement: Statement; policy: string }> {
  const found: Array<{ roles: string[]; statement: Statement; policy: string }> = [];
  for (const [id, policy] of resources(template, 'AWS::IAM::Policy')) {
    const props = policy.Properties as {
      Roles?: Array<{ Ref: string }>;
      PolicyDocument: { Statement: Statement[] };
    };
    const roles = asArray(props.Roles).map((role) => role.Ref);
    for (const statement of props.PolicyDocument.Statement) found.push({ roles, statement, policy: id });
  }
  for (const [id, role] of resources(template, 'AWS::IAM::Role')) {
    const inline =
      (role.Properties as { Policies?: Array<{ PolicyDocument: { Statement: Statement[] } }> }).Policies ??
      [];
    for (const policy of inline)
      for (const statement of policy.PolicyDocument.Statement)
        found.push({ roles: [id], statement, policy: id });
  }
  return found;
}

/** The statements a role holds. */
export function statementsOf(template: Template, roleLogicalId: string): Statement[] {
  return identityStatements(template)
    .filter((entry) => entry.roles.includes(roleLogicalId))
    .map((entry) => entry.statement);
}

/** `{ action, resource }` pairs of a role's Allow statements, resources rendered to strings. */
export function grantsOf(
  template: Template,
  roleLogicalId: string,
): Array<{ action: string; resource: string; condition?: Record<string, unknown> }> {
  return statementsOf(template, roleLogicalId)
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) =>
      asArray(statement.Action).flatMap((action) =>
        asArray(statement.Resource).map((resource) => ({
          action,
          resource: render(resource),
          ...(statement.Condition ? { condition: statement.Condition } : {}),
        })),
      ),
    );
}

/**
 * Renders intrinsics to readable strings: `{Ref: X}` → `<X>`, `{Fn::GetAtt: [X, Arn]}` →
 * `<X.Arn>`, `Fn::Join` joined — the notation cdk-nag uses.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Ref' in object) return `<${String(object.Ref)}>`;
    if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    if ('Fn::Select' in object) return `<select ${JSON.stringify(object['Fn::Select'])}>`;
  }
  return JSON.stringify(value);
}
