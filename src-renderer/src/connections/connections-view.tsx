import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type SyntheticEvent } from 'react';
import { type ConnectionTestResult, type ConnectionView, type RemoteConnectionRequest } from '../../../contracts/ipc';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { useAppInfo } from '../queries';
import { connectionKeys, describeConnectionError, describeState, sessionLabel, useConnections, useSwitchConnection } from './connection-queries';
import './connections.css';

const fieldLabels = { name: 'Name', url: 'Address', ca_pem: 'CA certificate', fingerprint: 'Fingerprint' } as const;
const trustLabels: Record<ConnectionView['trust'], string> = {
  embedded: "This console's own CA",
  ca: 'CA certificate',
  fingerprint: 'Certificate fingerprint',
};

/** Connections: the embedded control plane and remote ones, each tested, switched to and (remote) removed here. */
export function ConnectionsView() {
  const connections = useConnections();
  const items = connections.data?.items ?? [];
  const embedded = items.find((connection) => connection.kind === 'embedded');
  return (
    <section aria-labelledby="connections-heading" className="connections">
      <h1 id="connections-heading">Connections</h1>
      <p className="lead">
        The control planes this console can manage: its embedded one and remote ones (<code>control-plane serve</code>), each trusted by its own CA
        certificate or a certificate fingerprint, never by the system&apos;s roots. Each has its own operator session.
      </p>
      {connections.isError ? <FormAlert title="Connections could not be loaded" messages={[describeConnectionError(connections.error)]} /> : null}
      {items.length > 0 ? (
        <table className="table">
          <caption className="visually-hidden">Connections</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Address</th>
              <th scope="col">Trusted by</th>
              <th scope="col">State</th>
              <th scope="col">Session</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((connection) => (
              <ConnectionRow key={connection.id} connection={connection} />
            ))}
          </tbody>
        </table>
      ) : null}
      {embedded ? <KeyProtectionNote connection={embedded} /> : null}
      <AddConnectionForm />
    </section>
  );
}

function KeyProtectionNote({ connection }: { connection: ConnectionView }) {
  const info = useAppInfo();
  if (connection.key_protection === 'os_keychain') {
    return <p className="muted">The embedded control plane&apos;s deployment key is sealed by this computer&apos;s keychain.</p>;
  }
  const why = info.data?.mode === 'browser' ? 'browser mode has no OS keychain to seal it with' : 'no OS keychain can seal it here';
  return (
    <div className="notice" role="note" data-testid="key-protection">
      <p className="notice-title">The deployment key is kept in a file</p>
      <p>
        The embedded control plane&apos;s deployment key is in a file only your user can read (0600) in the console&apos;s data dir: {why}. Protect
        and back up that directory as you would a server&apos;s key.
      </p>
    </div>
  );
}

function ConnectionRow({ connection }: { connection: ConnectionView }) {
  const api = useApi();
  const client = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const switchTo = useSwitchConnection();
  const test = useMutation({ mutationFn: () => api.call('connections:test', { id: connection.id }) });
  const remove = useMutation({
    mutationFn: () => api.call('connections:remove', { id: connection.id }),
    onSuccess: async () => {
      setConfirming(false);
      // Removing the active connection makes the embedded one active: everything is read afresh.
      await (connection.active ? client.resetQueries() : client.invalidateQueries({ queryKey: connectionKeys.list }));
    },
  });
  const state = describeState(connection.status);
  const error = switchTo.error ?? remove.error ?? test.error;
  return (
    <>
      <tr>
        <th scope="row">
          {connection.name}
          {connection.active ? <span className="connection-active">Active</span> : null}
        </th>
        <td>{connection.url ? <code>{connection.url}</code> : <span className="muted">Not running</span>}</td>
        <td>
          {trustLabels[connection.trust]}
          {connection.fingerprint ? (
            <code className="connection-fingerprint" title="SHA-256">
              {connection.fingerprint}
            </code>
          ) : null}
        </td>
        <td>
          <span className={`connection-state connection-state-${state.tone}`}>{state.label}</span>
          {connection.status.message && state.tone === 'bad' ? <p className="muted">{connection.status.message}</p> : null}
        </td>
        <td>{sessionLabel(connection)}</td>
        <td className="actions">
          <div>
            <button type="button" className="button" aria-label={`Test ${connection.name}`} disabled={test.isPending} onClick={() => test.mutate()}>
              Test
            </button>
            {connection.active ? null : (
              <button type="button" className="button" aria-label={`Switch to ${connection.name}`} disabled={switchTo.isPending} onClick={() => switchTo.mutate(connection.id)}>
                Switch
              </button>
            )}
            {connection.kind === 'remote' ? (
              <button type="button" className="button" aria-label={`Remove ${connection.name}`} onClick={() => setConfirming(true)}>
                Remove
              </button>
            ) : null}
          </div>
        </td>
      </tr>
      {test.data || error || confirming ? (
        <tr className="row-detail">
          <td colSpan={6}>
            {test.data ? <TestResult result={test.data} /> : null}
            {error ? <FormAlert messages={[describeConnectionError(error)]} /> : null}
            {confirming ? (
              <div className="form-inline" role="group" aria-label={`Remove ${connection.name}`}>
                <p>
                  Remove {connection.name}? {connection.session.signed_in ? 'Its session is signed out. ' : ''}The control plane itself is not touched.
                </p>
                <button type="button" className="button button-primary" disabled={remove.isPending} onClick={() => remove.mutate()}>
                  Confirm remove
                </button>
                <button type="button" className="button" onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </div>
            ) : null}
          </td>
        </tr>
      ) : null}
    </>
  );
}

function TestResult({ result }: { result: ConnectionTestResult }) {
  const leaf = result.chain[0];
  const matched = { ca: 'signed by the pinned CA', leaf_fingerprint: "the server's own certificate matches the fingerprint", ca_fingerprint: 'signed by the CA with the pinned fingerprint' }[result.matched];
  return (
    <div role="status" className="connection-test-result">
      <p>
        <strong>Reached {result.url}</strong>: its certificate {leaf ? <code>{leaf.subject}</code> : null} is {matched}.
      </p>
      <ul className="muted">
        {result.chain.map((cert) => (
          <li key={cert.fingerprint}>
            {cert.subject}, issued by {cert.issuer}, valid to {new Date(cert.valid_to).toLocaleDateString()}: <code className="connection-fingerprint">{cert.fingerprint}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

type Trust = 'ca' | 'fingerprint';

function AddConnectionForm() {
  const api = useApi();
  const client = useQueryClient();
  const caId = useId();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [trust, setTrust] = useState<Trust>('ca');
  const [caPem, setCaPem] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const request = (): RemoteConnectionRequest => ({ name: name.trim(), url: url.trim(), ...(trust === 'ca' ? { ca_pem: caPem } : { fingerprint: fingerprint.trim() }) });
  const test = useMutation({ mutationFn: () => api.call('connections:test', { url: url.trim(), ...(trust === 'ca' ? { ca_pem: caPem } : { fingerprint: fingerprint.trim() }) }) });
  const add = useMutation({
    mutationFn: () => api.call('connections:add', request()),
    onSuccess: async () => {
      setName('');
      setUrl('');
      setCaPem('');
      setFingerprint('');
      test.reset();
      await client.invalidateQueries({ queryKey: connectionKeys.list });
    },
  });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    test.reset();
    add.mutate();
  };
  const pinGiven = trust === 'ca' ? caPem.trim() !== '' : fingerprint.trim() !== '';
  const complete = name.trim() !== '' && url.trim() !== '' && pinGiven;

  return (
    <form className="form connection-form" onSubmit={submit} aria-label="Add a remote control plane" aria-busy={add.isPending || test.isPending}>
      <h2>Add a remote control plane</h2>
      <TextField label="Name" name="name" value={name} onChange={setName} hint="How the header shows it, e.g. a region." maxLength={64} />
      <TextField label="Address" name="url" value={url} onChange={setUrl} hint="https://host:port, as serve --listen and its certificate name it." maxLength={2048} />
      <fieldset className="connection-trust">
        <legend>Trusted by</legend>
        <label>
          <input type="radio" name="trust" value="ca" checked={trust === 'ca'} onChange={() => setTrust('ca')} /> Its CA certificate
        </label>
        <label>
          <input type="radio" name="trust" value="fingerprint" checked={trust === 'fingerprint'} onChange={() => setTrust('fingerprint')} /> A certificate fingerprint (SHA-256)
        </label>
      </fieldset>
      {trust === 'ca' ? (
        <div className="field">
          <label htmlFor={caId}>CA certificate</label>
          <textarea
            id={caId}
            name="ca_pem"
            rows={6}
            value={caPem}
            spellCheck={false}
            aria-describedby={`${caId}-hint`}
            placeholder="-----BEGIN CERTIFICATE-----"
            onChange={(event) => {
              setCaPem(event.target.value);
            }}
          />
          <p className="field-hint" id={`${caId}-hint`}>
            Paste the control plane&apos;s <code>tls/ca.crt</code> (PEM), or choose the file.
          </p>
          <input
            type="file"
            aria-label="Choose the CA certificate file"
            accept=".crt,.pem,.cer,application/x-x509-ca-cert"
            onChange={(event) => {
              const file = event.target.files?.[0];
              if (file) {
                void file.text().then(setCaPem);
              }
            }}
          />
        </div>
      ) : (
        <TextField
          label="Fingerprint"
          name="fingerprint"
          value={fingerprint}
          onChange={setFingerprint}
          hint="SHA-256 of its CA certificate or of its own certificate, e.g. from openssl x509 -noout -fingerprint -sha256 -in ca.crt."
          maxLength={200}
        />
      )}
      {test.data ? <TestResult result={test.data} /> : null}
      {test.isError ? <FormAlert title="The test failed" messages={[describeConnectionError(test.error, fieldLabels)]} /> : null}
      {add.isError ? <FormAlert title="The connection was not added" messages={[describeConnectionError(add.error, fieldLabels)]} /> : null}
      <div className="connection-form-actions">
        <button type="button" className="button" disabled={test.isPending || url.trim() === '' || !pinGiven} onClick={() => {
          add.reset();
          test.mutate();
        }}>
          Test connection
        </button>
        <button type="submit" className="button button-primary" disabled={add.isPending || !complete}>
          Add connection
        </button>
      </div>
    </form>
  );
}
