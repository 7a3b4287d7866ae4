// The control plane's objects (/v1/project, /v1/experiment, /v1/dataset) and
// the name → object lookups the app's URLs need (URLs carry names, as the
// links the SDK prints do).
import { ApiError, control } from './client';

export interface Project {
  id: string;
  name: string;
  org_id: string;
  created: string | null;
  description?: string | null;
}

export interface Experiment {
  id: string;
  name: string;
  project_id: string;
  created: string | null;
  description?: string | null;
  base_exp_id?: string | null;
  commit?: string | null;
  repo_info?: { commit?: string | null; branch?: string | null } | null;
  user_id?: string | null;
  metadata?: Record<string, unknown> | null;
  dataset_id?: string | null;
}

export interface Dataset {
  id: string;
  name: string;
  project_id: string;
  created: string | null;
  description?: string | null;
}

interface List<T> {
  objects: T[];
}

function notFound(what: string, name: string): ApiError {
  return new ApiError(404, 'NotFoundError', `${what} '${name}' not found`);
}

export async function projectByName(orgName: string, name: string): Promise<Project> {
  const r = await control<List<Project>>('/v1/project', { query: { org_name: orgName, project_name: name } });
  if (!r.objects.length) throw notFound('Project', name);
  return r.objects[0];
}

export async function listExperiments(projectId: string): Promise<Experiment[]> {
  return (await control<List<Experiment>>('/v1/experiment', { query: { project_id: projectId, limit: 1000 } }))
    .objects;
}

export async function experimentByName(projectId: string, name: string): Promise<Experiment> {
  const r = await control<List<Experiment>>('/v1/experiment', {
    query: { project_id: projectId, experiment_name: name },
  });
  if (!r.objects.length) throw notFound('Experiment', name);
  return r.objects[0];
}

export async function listDatasets(projectId: string): Promise<Dataset[]> {
  return (await control<List<Dataset>>('/v1/dataset', { query: { project_id: projectId, limit: 1000 } })).objects;
}

export async function datasetByName(projectId: string, name: string): Promise<Dataset> {
  const r = await control<List<Dataset>>('/v1/dataset', { query: { project_id: projectId, dataset_name: name } });
  if (!r.objects.length) throw notFound('Dataset', name);
  return r.objects[0];
}
