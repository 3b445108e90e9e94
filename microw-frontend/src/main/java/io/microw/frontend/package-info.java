/**
 * What microw's two front ends, the {@code microw} command line and the REST server, share so that they parse,
 * validate and default the same way by construction: model references, hook specs, job specs with their
 * defaults (JSON goes through microw-core's one configured mapper, {@code io.microw.io.JsonMapper}).
 */
package io.microw.frontend;
