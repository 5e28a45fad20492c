/**
 * What would be deployed, read from `cdk.out` only: each Lambda function's asset folder, handler,
 * runtime, architecture, memory, timeout and environment (as CloudFormation expressions), the
 * state machines' definitions as deployed, and the CloudFront Functions' code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type Expression = unknown;

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

export interface DeployedFunction {
  logicalId: string;
  /** The bundle's name, from its construct path (`…/ImageHandler/Function` → `ImageHandler`). */
  name: string;
  cdkPath: string;
  assetDir: string;
  handler: string;
  runtime: string;
  architecture: string;
  memoryMb: number;
  timeoutSeconds: number;
  environment: Record<string, Expression>;
}

export interface CloudAssembly {
  dir: string;
  template: CfnTemplate;
  functions: DeployedFunction[];
  /** Logical id → ASL definition (the DefinitionString with its expressions left in). */
  stateMachines: Record<string, Expression>;
  /** CloudFront Functions' code, by construct path. */
  cloudFrontFunctions: Array<{ cdkPath: string; code: string; runtime: string }>;
}

export function readCloudAssembly(dir: string, stackName: string): CloudAssembly {
  const template = JSON.parse(readFileSync(path.join(dir, `${stackName}.template.json`), 'utf8')) as CfnTemplate;
  const functions: DeployedFunction[] = [];
  const stateMachines: Record<string, Expression> = {};
  const cloudFrontFunctions: CloudAssembly['cloudFrontFunctions'] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const properties = resource.Properties ?? {};
    const cdkPath = String(resource.Metadata?.['aws:cdk:path'] ?? logicalId);
    if (resource.Type === 'AWS::Lambda::Function') {
      const asset = resource.Metadata?.['aws:asset:path'];
      // Inline code (CDK's own custom-resource providers) is not ours to rehearse.
      if (typeof asset !== 'string') continue;
      const segments = cdkPath.replace(/\/Resource$/, '').split('/');
      if (segments.at(-1) === 'Function') segments.pop();
      functions.push({
        logicalId,
        name: segments.at(-1)!,
        cdkPath,
        assetDir: path.resolve(dir, asset),
        handler: String(properties.Handler),
        runtime: String(properties.Runtime),
        architecture: String((properties.Architectures as string[] | undefined)?.[0] ?? 'x86_64'),
        memoryMb: Number(properties.MemorySize ?? 128),
        timeoutSeconds: Number(properties.Timeout ?? 3),
        environment: ((properties.Environment as { Variables?: Record<string, Expression> } | undefined)?.Variables ?? {}),
      });
    } else if (resource.Type === 'AWS::StepFunctions::StateMachine') {
      stateMachines[logicalId] = properties.DefinitionString;
    } else if (resource.Type === 'AWS::CloudFront::Function') {
      cloudFrontFunctions.push({
        cdkPath,
        code: String(properties.FunctionCode),
        runtime: String((properties.FunctionConfig as { Runtime?: string } | undefined)?.Runtime),
      });
    }
  }
  return { dir, template, functions, stateMachines, cloudFrontFunctions };
}

/** The function whose construct path ends with `suffix` (e.g. `Delivery/ImageHandler/Function`). */
export function deployedFunction(assembly: CloudAssembly, suffix: string): DeployedFunction {
  const found = assembly.functions.filter((fn) => fn.cdkPath.replace(/\/Resource$/, '').endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one function at …${suffix} in cdk.out, found ${found.length}`);
  return found[0]!;
}

/**
 * Resolves a CloudFormation expression with the local stand-ins: `Ref`/`Fn::GetAtt` through
 * `bindings` (by logical id, or `id.Attribute`), pseudo parameters from `pseudo`, and the
 * intrinsic functions our template uses (Join, Sub, Select, Split). An unbound reference is an
 * error: every value a function reads must be mapped on purpose.
 */
export function resolve(value: Expression, bindings: Record<string, string>, pseudo: Record<string, string>): string {
  const go = (expr: Expression): unknown => {
    if (typeof expr === 'string' || typeof expr === 'number' || typeof expr === 'boolean') return expr;
    if (Array.isArray(expr)) return expr.map(go);
    if (expr && typeof expr === 'object') {
      const [[fn, arg]] = Object.entries(expr) as [[string, unknown]];
      switch (fn) {
        case 'Ref': {
          const name = String(arg);
          const bound = pseudo[name] ?? bindings[name];
          if (bound === undefined) throw new Error(`rehearsal: no local binding for Ref ${name}`);
          return bound;
        }
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
          const bound = bindings[`${id}.${attribute}`];
          if (bound === undefined) throw new Error(`rehearsal: no local binding for GetAtt ${id}.${attribute}`);
          return bound;
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, Expression[]];
          return parts.map((part) => String(go(part))).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, Expression];
          return (go(list) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, Expression];
          return String(go(source)).split(separator);
        }
        case 'Fn::Sub': {
          const [text, variables = {}] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, Expression>];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in variables) return String(go(variables[name]));
            return String(go(name.includes('.') ? { 'Fn::GetAtt': name.split('.') } : { Ref: name }));
          });
        }
        default:
          throw new Error(`rehearsal: ${fn} is not resolved locally`);
      }
    }
    return expr;
  };
  return String(go(value));
}
