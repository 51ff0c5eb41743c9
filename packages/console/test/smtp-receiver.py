# A real SMTP receiver for the alert tests: Debian's aiosmtpd (python3-aiosmtpd) with STARTTLS required and AUTH
# PLAIN/LOGIN accepted only after it. Prints "PORT n" once listening, then one JSON line per message received
# (tls, auth, from, to, data with LF line ends). Stopped by the test with SIGTERM.
import json
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

cert, key = sys.argv[1], sys.argv[2]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        data = envelope.content.decode('utf8', 'replace').replace('\r\n', '\n')
        mail = {'tls': session.ssl is not None, 'auth': getattr(session, 'auth_data', None),
                'from': envelope.mail_from, 'to': list(envelope.rcpt_tos), 'data': data}
        print(json.dumps(mail), flush=True)
        return '250 2.0.0 queued'


def authenticator(server, session, envelope, mechanism, auth_data):
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    text = '\0' + auth_data.login.decode('utf8') + '\0' + auth_data.password.decode('utf8')
    return AuthResult(success=True, auth_data=text)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
port = free_port()
controller = Controller(Handler(), hostname='127.0.0.1', port=port, tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_require_tls=True)
controller.start()
print(f'PORT {port}', flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
done.wait()
controller.stop()
