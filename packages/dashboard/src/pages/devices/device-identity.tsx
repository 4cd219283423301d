import type { ReactNode } from 'react';
import type { Device, DeviceCertificate } from '../../api/api-types.ts';
import { StateBadge } from '../../ui/badges.tsx';
import { Empty } from '../../ui/feedback.tsx';
import { formatAgo, formatDate, formatTime } from '../../ui/format.ts';

function certificateState(certificate: DeviceCertificate, now: number): string {
  if (certificate.revokedAt) return 'revoked';
  if (Date.parse(certificate.notAfter) < now) return 'expired';
  if (Date.parse(certificate.notBefore) > now) return 'not yet valid';
  return 'valid';
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

/** Who the device is: registry facts, IDevID provenance, and every certificate issued to it. */
export function DeviceIdentity(props: {
  readonly device: Device;
  readonly certificates: readonly DeviceCertificate[];
}): ReactNode {
  const { device, certificates } = props;
  const now = Date.now();
  return (
    <section className="card" aria-labelledby="dev-identity">
      <h2 id="dev-identity">Identity</h2>
      <dl className="facts">
        <dt>Device ID</dt>
        <dd className="mono">{device.id}</dd>
        <dt>Certificate URI</dt>
        <dd className="mono">urn:palisade:device:{device.id}</dd>
        <dt>Registered</dt>
        <dd>{formatTime(device.createdAt)}</dd>
        <dt>IDevID (manufacturer identity)</dt>
        <dd>
          {device.idevidSerial || device.idevidFingerprint ? (
            <>
              {device.manufacturer ? `${device.manufacturer}, ` : ''}
              {device.idevidSerial ? `serial ${device.idevidSerial}` : ''}
              {device.idevidFingerprint ? (
                <span className="mono"> SHA-256 {device.idevidFingerprint}</span>
              ) : null}
            </>
          ) : (
            <span className="muted">none: enrolls with a one-time token</span>
          )}
        </dd>
      </dl>
      <h3 className="section-gap">Certificates</h3>
      {certificates.length === 0 ? (
        <Empty>No certificate issued yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Serial</th>
                <th scope="col">Status</th>
                <th scope="col">Expires</th>
                <th scope="col">Key, issued by</th>
              </tr>
            </thead>
            <tbody>
              {certificates.map((c) => (
                <tr key={c.serial} data-serial={c.serial}>
                  <td>
                    <span className="mono truncate" title={c.serial}>
                      {c.serial}
                    </span>
                    <div>
                      <button
                        type="button"
                        className="link hint"
                        onClick={() => download(`${device.id}-${c.serial}.pem`, c.certificatePem)}
                      >
                        Download PEM
                      </button>
                    </div>
                  </td>
                  <td>
                    <StateBadge state={certificateState(c, now)} />
                    {c.revokedAt ? (
                      <div className="hint">
                        {c.revocationReason ?? 'unspecified'}, {formatTime(c.revokedAt)}
                      </div>
                    ) : null}
                  </td>
                  <td title={formatTime(c.notAfter)}>
                    {formatDate(c.notAfter)}
                    <div className="hint">{formatAgo(c.notAfter, now)}</div>
                  </td>
                  <td>
                    {c.keyAlgorithm}
                    <div className="hint">{c.issuedVia}</div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
