/**
 * The HTTP API, rendered from the server's own OpenAPI document (`/openapi.json`): every route
 * by tag, its parameters, request body schema and the error codes it may answer.
 */
import { api } from '../api.js';
import { JsonView } from '../components/json-view.js';
import { usePolling } from '../polling.js';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Record<string, unknown>;
}
interface Operation {
  summary: string;
  tags: string[];
  parameters?: Parameter[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: unknown; example?: unknown }> };
  responses: Record<string, { description: string }>;
}
interface OpenApi {
  info: { title: string; version: string; description?: string };
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
}

export function ApiReferencePage() {
  const doc = usePolling((signal) => api.get<OpenApi>('/openapi.json', signal), undefined, []);
  if (doc.error) return <p class="error-box">{doc.error.message}</p>;
  if (!doc.data) return <p class="muted">Loading…</p>;
  const operations = Object.entries(doc.data.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));
  return (
    <section class="api-reference">
      <div class="page-header">
        <h1>HTTP API</h1>
        <a class="button secondary" href="/openapi.json" download="shutter-openapi.json">
          Download OpenAPI 3.1
        </a>
      </div>
      <p class="muted">
        {doc.data.info.description} Version {doc.data.info.version}.
      </p>
      {doc.data.tags.map(({ name }) => (
        <div class="card" key={name}>
          <h2>{name}</h2>
          {operations
            .filter(({ operation }) => operation.tags.includes(name))
            .map(({ path, method, operation }) => (
              <details class="operation" key={`${method} ${path}`} data-operation={`${method.toUpperCase()} ${path}`}>
                <summary>
                  <code class={`method method-${method}`}>{method.toUpperCase()}</code> <code class="wrap">{path}</code> <span class="muted">{operation.summary}</span>
                </summary>
                {!!operation.parameters?.length && (
                  <div class="table-scroll">
                    <table class="table compact">
                      <caption class="sr-only">Parameters</caption>
                      <thead>
                        <tr>
                          <th scope="col">Parameter</th>
                          <th scope="col">In</th>
                          <th scope="col">Type</th>
                          <th scope="col">Meaning</th>
                        </tr>
                      </thead>
                      <tbody>
                        {operation.parameters.map((parameter) => (
                          <tr key={`${parameter.in}-${parameter.name}`}>
                            <td>
                              <code>{parameter.name}</code>
                              {parameter.required ? ' (required)' : ''}
                            </td>
                            <td>{parameter.in}</td>
                            <td>
                              <code class="wrap">{typeOf(parameter.schema)}</code>
                            </td>
                            <td>{parameter.description ?? ''}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
                {operation.requestBody &&
                  Object.entries(operation.requestBody.content).map(([type, media]) => (
                    <div key={type}>
                      <h3>Body ({type})</h3>
                      <JsonView value={media.schema} />
                    </div>
                  ))}
                <h3>Answers</h3>
                <ul class="plain">
                  {Object.entries(operation.responses).map(([status, response]) => (
                    <li key={status}>
                      <strong>{status}</strong> {response.description}
                    </li>
                  ))}
                </ul>
              </details>
            ))}
        </div>
      ))}
    </section>
  );
}

function typeOf(schema: Record<string, unknown> | undefined): string {
  if (!schema) return '';
  if (Array.isArray(schema.enum)) return schema.enum.join(' | ');
  return String(schema.type ?? '');
}
