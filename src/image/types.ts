/** The part of an OCI/Docker image config that the runtime uses. */
export interface ContainerConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  Volumes?: Record<string, object>;
  ExposedPorts?: Record<string, object>;
  StopSignal?: string;
}

/** The image config blob (application/vnd.oci.image.config.v1+json); its sha256 is the image id. */
export interface ImageConfigBlob {
  architecture: string;
  os: string;
  created?: string;
  config: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; empty_layer?: boolean; comment?: string }>;
}

/** An image as the engine uses it: its id, config, and the layer dirs to stack. */
export interface Image {
  /** "sha256:<64 hex>" — digest of the config blob */
  id: string;
  /** repo:tag names pointing at it, e.g. ["busybox:latest"] */
  repoTags: string[];
  config: ImageConfigBlob;
  /** absolute paths of the extracted layer directories, lowest (base) first */
  layerDirs: string[];
}
